"""Rendering a page inside the layout: navigation filtered by the user's permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.response import Template

from core.common.errors import VersionConflict
from core.i18n import N_
from core.identity.services import CurrentUser
from core.plugins.types import NavItem
from core.web.runtime import runtime_of

CSRF_FIELD = "_csrf_token"  # the hidden field `{{ csrf_input }}` writes into a page's forms


def visible_navigation(request: Request[Any, Any, Any]) -> list[NavItem]:
    user: CurrentUser | None = request.scope.get("user")
    if user is None:
        return []
    runtime = runtime_of(request)
    items = [n for n in runtime.navigation if user.can(n.permission)]
    if any(user.can(r.permission) for r in runtime.reports):
        items.append(NavItem(N_("Reports"), "/reports", "authenticated", order=800))
    return sorted(items, key=lambda n: n.order)


@dataclass(frozen=True)
class MenuEntry:
    """One place in the main navigation: a link, or a named group of links (a drop-down)."""

    label: str
    path: str = ""
    items: tuple[NavItem, ...] = ()

    def holds(self, current_path: str) -> bool:
        paths = [item.path for item in self.items] or [self.path]
        return any(current_path.startswith(path) for path in paths)


def navigation_menu(items: list[NavItem]) -> list[MenuEntry]:
    """The visible items in order; groups of two or more items as drop-downs at the end."""
    grouped: dict[str, list[NavItem]] = {}
    for item in items:
        grouped.setdefault(item.group or item.path, []).append(item)
    links = [MenuEntry(m[0].label, m[0].path) for m in grouped.values() if len(m) == 1]
    groups = [MenuEntry(key, items=tuple(m)) for key, m in grouped.items() if len(m) > 1]
    order = {item.path: item.order for item in items}
    return sorted(links, key=lambda entry: order[entry.path]) + groups


def menu_of(request: Request[Any, Any, Any]) -> list[MenuEntry]:
    """The user's main menu, built once per set of permissions (it depends on nothing else)."""
    user: CurrentUser | None = request.scope.get("user")
    if user is None:
        return []
    menus = runtime_of(request).menus
    menu = menus.get(user.permissions)
    if menu is None:
        menu = navigation_menu(visible_navigation(request))
        if len(menus) < 1000:  # roles combine into few sets; a bound all the same
            menus[user.permissions] = menu
    return list(menu)


def render(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    context.setdefault("errors", {})
    context.setdefault("audience", _audience(request))
    return Template(
        template_name=template,
        context={
            "user": request.scope.get("user"),
            "navigation": menu_of(request),
            "current_path": request.url.path,
            **context,
        },
        status_code=status_code,
    )


def _audience(request: Request[Any, Any, Any]) -> str:
    """'citizen' where the handler says so (opt audience="citizen"), else 'staff'."""
    try:
        return str(request.route_handler.opt.get("audience", "staff"))
    except (AttributeError, KeyError):
        return "staff"


async def form_data(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The submitted form as a plain dict; repeated keys (checkboxes) become lists."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        values = form.getall(key)
        data[key] = values if len(values) > 1 or key.endswith("[]") else values[0]
    data.pop(CSRF_FIELD, None)
    return data


def int_field(data: dict[str, Any], name: str, default: int = 0) -> int:
    try:
        return int(str(data.get(name, default)))
    except ValueError:
        return default


def as_list(value: Any) -> list[str]:
    """A form field that may hold one value or several (checkboxes) as a list."""
    if value is None or value == "":
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def render_conflict(
    request: Request[Any, Any, Any], conflict: VersionConflict, action: str, fields: list[str]
) -> Template:
    """The conflict page: the saved and the submitted values side by side, nothing lost."""
    return render(
        request,
        "errors/conflict.html",
        status_code=409,
        conflict=conflict,
        fields=fields,
        action=action,
        cancel=action,
    )
