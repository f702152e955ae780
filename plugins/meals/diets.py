"""Special diets, allergies and meal texture of a meal service, effective-dated like orders.

A change is a row valid from its date until the next row of the same service, so a change
from 1.12. shows on the kitchens' lists of 1.12. on and never on earlier ones; a service
without rows keeps the diet chosen at its opening. The rows are the change history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plugins.meals import forms
from plugins.meals.tables import MealDietPeriod, MealService
from valvomo.api import (
    N_,
    Actor,
    NotFound,
    ValidationFailed,
    audit,
    gettext,
    now,
    parse_form,
    update_versioned,
)

if TYPE_CHECKING:
    from plugins.meals.settings import MealSettings

NO_SPECIAL_DIET = "normal"  # the key of a service without special diets
NORMAL_TEXTURE = "normal"
KINDS = ("diets", "allergies", "textures")
CHANGEABLE = ("opening_requested", "active", "paused", "ending_requested")


@dataclass(frozen=True)
class DietChoice:
    """What the kitchen cooks for one customer: special diets, allergies, texture."""

    diets: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()
    texture: str = NORMAL_TEXTURE

    @property
    def key(self) -> str:
        """One code per combination, as the production list counts meals:
        `gluten_free+lactose_free`, or `diets|allergies|texture` where those are set."""
        diets = "+".join(self.diets) or NO_SPECIAL_DIET
        if not self.allergies and self.texture == NORMAL_TEXTURE:
            return diets
        return f"{diets}|{'+'.join(self.allergies)}|{self.texture}"

    @classmethod
    def from_key(cls, key: str) -> DietChoice:
        diets, _, rest = key.partition("|")
        allergies, _, texture = rest.partition("|")
        return cls(
            tuple(d for d in diets.split("+") if d and d != NO_SPECIAL_DIET),
            tuple(a for a in allergies.split("+") if a),
            texture or NORMAL_TEXTURE,
        )

    @classmethod
    def opening(cls, diet: str) -> DietChoice:
        """The choice of a service without changes: the combination picked when it was opened
        (`meals_service.diet`, a key; one diet code, as older services hold, is a key too)."""
        return cls.from_key(diet or NO_SPECIAL_DIET)


@dataclass(frozen=True)
class DietPeriod:
    valid_from: dt.date
    choice: DietChoice


def choice_on(periods: Sequence[DietPeriod], opening: DietChoice, day: dt.date) -> DietChoice:
    """The choice valid on `day`: the latest change from that day or before, else the opening's."""
    valid = [p for p in periods if p.valid_from <= day]
    return max(valid, key=lambda p: p.valid_from).choice if valid else opening


def label(settings: MealSettings, key: str) -> str:
    """The combination in the region's words: "Gluteeniton, Laktoositon; allergiat: Kala"."""
    choice = DietChoice.from_key(key)
    parts = [", ".join(settings.diets.get(d, d) for d in choice.diets) or _normal(settings)]
    if choice.allergies:
        names = ", ".join(settings.allergies.get(a, a) for a in choice.allergies)
        parts.append(gettext("allergies: %(names)s", names=names))
    if choice.texture != NORMAL_TEXTURE:
        parts.append(settings.textures.get(choice.texture, choice.texture))
    return "; ".join(parts)


def _normal(settings: MealSettings) -> str:
    return settings.diets.get(NO_SPECIAL_DIET) or gettext("No special diet")


def diet_choices(settings: MealSettings) -> dict[str, set[str]]:
    """The codes the diet form accepts: the region's, and "no special diet", "normal"."""
    offered = {kind: {code for code, _ in settings.offered(kind)} for kind in KINDS}
    return {
        "diets": {*offered["diets"], NO_SPECIAL_DIET},
        "allergies": offered["allergies"],
        "texture": {*offered["textures"], NORMAL_TEXTURE},
    }


def chosen(form: forms.DietChoiceForm) -> DietChoice:
    diets = sorted(set(form.diets) - {NO_SPECIAL_DIET})
    return DietChoice(tuple(diets), tuple(sorted(set(form.allergies))), form.texture)


def parse_choice(
    data: dict[str, Any], settings: MealSettings, errors: dict[str, str]
) -> DietChoice:
    """Checked codes from the form (`diets`, `allergies`, `texture`); unknown codes go into
    `errors`, to be refused with the rest of the form."""
    try:
        form = parse_form(forms.DietChoiceForm, data, choices=diet_choices(settings))
    except ValidationFailed as refused:
        errors.update(refused.errors)
        return DietChoice((), (), NORMAL_TEXTURE)
    return chosen(form)


async def change_diet(
    actor: Actor, service_id: int, version: int, data: dict[str, Any], settings: MealSettings
) -> dt.date:
    """Record the diets, allergies and texture from `valid_from` on; a second change on the
    same day replaces the first. Returns the day the change applies from."""
    service = await MealService.select().where(MealService.id == service_id).first()
    if service is None:
        raise NotFound(f"meal service {service_id}")
    errors: dict[str, str] = {}
    if service["status"] not in CHANGEABLE:
        errors["valid_from"] = N_("Not possible in the service's current state.")
    form = parse_form(forms.DietForm, data, choices=diet_choices(settings), errors=errors)
    valid_from, choice = form.valid_from, chosen(form)
    if valid_from < service["start_date"]:
        raise ValidationFailed(
            {"valid_from": N_("The change cannot start before the service starts.")}
        )
    await update_versioned(MealService, service_id, version, {}, data)
    await MealDietPeriod.delete().where(
        (MealDietPeriod.service == service_id) & (MealDietPeriod.valid_from == valid_from)
    )
    await MealDietPeriod.insert(
        MealDietPeriod(
            service=service_id,
            valid_from=valid_from,
            diets=",".join(choice.diets),
            allergies=",".join(choice.allergies),
            texture=choice.texture,
            created_by=getattr(actor, "id", None),
            created_at=now(),
        )
    )
    await audit.record(
        actor,
        "update",
        "meal_diet",
        service_id,
        customer_id=service["customer"],
        after={"valid_from": valid_from, "diet": choice.key},
    )
    return valid_from


def period_of_row(row: dict[str, Any]) -> DietPeriod:
    return DietPeriod(
        row["valid_from"],
        DietChoice(
            tuple(d for d in row["diets"].split(",") if d),
            tuple(a for a in row["allergies"].split(",") if a),
            row["texture"] or NORMAL_TEXTURE,
        ),
    )


async def history(service: dict[str, Any], settings: MealSettings) -> list[dict[str, Any]]:
    """The service's diets from its start, newest first, with who changed them and when."""
    rows = (
        await MealDietPeriod.select(
            *MealDietPeriod.all_columns(), MealDietPeriod.created_by.full_name
        )
        .where(MealDietPeriod.service == service["id"])
        .order_by(MealDietPeriod.valid_from, ascending=False)
    )
    entries = [
        {
            "valid_from": row["valid_from"],
            "label": label(settings, period_of_row(row).choice.key),
            "by": row["created_by.full_name"] or "",
            "at": row["created_at"],
        }
        for row in rows
    ]
    if not rows or rows[-1]["valid_from"] > service["start_date"]:
        opening = DietChoice.opening(service["diet"])
        entries.append(
            {
                "valid_from": service["start_date"],
                "label": label(settings, opening.key),
                "by": "",
                "at": service["created_at"],
            }
        )
    return entries


async def form_values(service: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """The change form's starting values: the choice valid on `day`, from `day` on."""
    rows = await MealDietPeriod.select().where(
        (MealDietPeriod.service == service["id"]) & (MealDietPeriod.valid_from <= day)
    )
    periods = [period_of_row(row) for row in rows]
    choice = choice_on(periods, DietChoice.opening(service["diet"]), day)
    return {
        "diets": list(choice.diets),
        "allergies": list(choice.allergies),
        "texture": choice.texture,
        "valid_from": max(day, service["start_date"]),
    }
