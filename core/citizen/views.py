"""The citizen's own pages ("Oma Valvomo"): sign-in, front page with the plugins' panels."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect, Response, Template

from core.audit import services as audit
from core.citizen import my_data, services
from core.citizen.middleware import CITIZEN_COOKIE
from core.citizen.my_data_pdf import data_pdf
from core.citizen.services import Citizen, customer_name
from core.config import IdentityProvider
from core.db import transaction
from core.decisions import decisions_about
from core.i18n import N_
from core.identity.guards import (
    CITIZEN_PATH,
    CITIZEN_SESSION,
    CSRF_COOKIE,
    LANGUAGE_COOKIE,
    session_csrf_token,
)
from core.identity.views import SIGN_IN_FINISHERS, provider_label
from core.labels import register_labels
from core.notifications.services import sent_about_customer
from core.notifications.tables import CHANNEL_LABELS
from core.web.notices import redirect_with_notice
from core.web.pages import form_data, render
from core.web.panels import collect_panels
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]
CITIZEN = {"permission": CITIZEN_SESSION, "audience": "citizen"}
ACCESS_LOG_PAGE = 50

register_labels("role", {"customer": N_("Customer"), "proxy": N_("Proxy")})
register_labels(
    "field",
    {
        "external_number": N_("Customer number"),
        "payer_name": N_("Payer"),
        "payer_relationship": N_("Payer's relationship"),
        "payer_street_address": N_("Payer's street address"),
        "payer_postal_code": N_("Payer's postal code"),
        "payer_post_office": N_("Payer's post office"),
        "created_at": N_("Created"),
        "updated_at": N_("Last changed"),
        "start_date": N_("Start date"),
        "end_date": N_("End date"),
        "diet": N_("Diet"),
        "kitchen.name": N_("Kitchen"),
        "route.name": N_("Delivery route"),
    },
)
register_labels(
    "audit.entity",
    {
        "citizen_front": N_("Own services page"),
        "citizen_session": N_("Online services"),
        "citizen_data": N_("Download of own data"),
        "access_log": N_("Access log"),
        "citizen_decisions": N_("Decisions and notices"),
        "proxy_right": N_("Proxy right"),
    },
)


def require_citizen(request: Req) -> Citizen:
    citizen = request.scope.get("citizen")
    if not isinstance(citizen, Citizen):
        raise NotAuthorizedException(N_("Sign in to continue."))
    return citizen


def render_citizen(request: Req, template: str, status_code: int = 200, **context: Any) -> Template:
    """A citizen page. `person` is the signed-in Citizen; `proxy_for` the name of the customer
    a relative acts for ("" on one's own matters), so that headings say whose matters they are
    ("Henkilön Matti Meikäläinen palvelut" rather than "Omat palvelusi")."""
    person = request.scope.get("citizen")
    proxy_for = person.acting_name if isinstance(person, Citizen) and person.is_proxy else ""
    return render(
        request,
        template,
        status_code=status_code,
        audience="citizen",
        home_href=CITIZEN_PATH,
        person=person,
        proxy_for=proxy_for,
        **context,
    )


class CitizenPages(Controller):
    path = CITIZEN_PATH
    include_in_schema = False
    opt = CITIZEN

    @get("/login", opt={"public": True, "permission": None})
    async def login(self, request: Req, lang: str = "") -> Response[Any]:
        if lang in ("fi", "sv", "en"):
            redirect = Redirect(path=f"{CITIZEN_PATH}/login")
            redirect.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
            return redirect
        providers = runtime_of(request).settings.identity.providers_for("citizen")
        return render_citizen(
            request,
            "citizen/login.html",
            providers=[(p.name, provider_label(p)) for p in providers],
        )

    @get("/")
    async def front(self, request: Req) -> Response[Any]:
        citizen = require_citizen(request)
        if citizen.acting_for is None:
            return Redirect(path=f"{CITIZEN_PATH}/choose")
        customer_id = citizen.acting_for
        panels = await collect_panels(
            request, "valvomo_citizen_panels", customer_id=customer_id, citizen=citizen
        )
        # One INSERT, atomic by itself: no transaction's extra round trips on every visit.
        await audit.record(citizen, "view", "citizen_front", customer_id, customer_id=customer_id)
        return render_citizen(
            request,
            "citizen/front.html",
            panels=panels,
            can_choose=citizen.may_choose,
        )

    @get("/choose")
    async def choose_page(self, request: Req) -> Template:
        citizen = require_citizen(request)
        own = await customer_name(citizen.own_customer_id) if citizen.own_customer_id else ""
        return render_citizen(
            request,
            "citizen/choose.html",
            own=own,
            rights=await services.valid_rights_of(citizen.person_key),
        )

    @post("/choose")
    async def choose(self, request: Req) -> Response[Any]:
        citizen = require_citizen(request)
        data = await form_data(request)
        try:
            customer_id = int(str(data.get("customer", "")))
        except ValueError:
            customer_id = 0
        async with transaction():
            allowed = await services.choose(citizen, customer_id)
        if not allowed:
            raise NotAuthorizedException(N_("Sign in to continue."))
        return redirect_with_notice(CITIZEN_PATH, N_("You are now handling %(name)s's matters."),
                                    name=await customer_name(customer_id))  # fmt: skip

    @get("/access-log")
    async def access_log(self, request: Req, page: int = 1) -> Response[Any]:
        citizen = require_citizen(request)
        if citizen.acting_for is None:
            return Redirect(path=f"{CITIZEN_PATH}/choose")
        page = max(1, min(page, 100_000))
        rows = await audit.customer_access_log(
            citizen.acting_for, ACCESS_LOG_PAGE + 1, (page - 1) * ACCESS_LOG_PAGE
        )
        async with transaction():
            await audit.record(citizen, "view", "access_log", citizen.acting_for,
                               customer_id=citizen.acting_for)  # fmt: skip
        return render_citizen(
            request,
            "citizen/access_log.html",
            rows=rows[:ACCESS_LOG_PAGE],
            page=page,
            has_next=len(rows) > ACCESS_LOG_PAGE,
        )

    @get("/decisions")
    async def decisions(self, request: Req) -> Response[Any]:
        """Decisions about the customer's services (from every plugin) and the messages
        sent about them, newest first."""
        citizen = require_citizen(request)
        if citizen.acting_for is None:
            return Redirect(path=f"{CITIZEN_PATH}/choose")
        customer_id = citizen.acting_for
        found = await decisions_about(runtime_of(request).host, customer_id, citizen)
        await audit.record(citizen, "view", "citizen_decisions", customer_id,
                           customer_id=customer_id)  # fmt: skip
        return render_citizen(
            request,
            "citizen/decisions.html",
            decisions=found,
            messages=await sent_about_customer(customer_id),
            channels=CHANNEL_LABELS,
        )

    @get("/my-data")
    async def my_data(self, request: Req) -> Response[Any]:
        _citizen, data = await self._my_data(request)
        return render_citizen(request, "citizen/my_data.html", data=data)

    @get("/my-data.json")
    async def my_data_json(self, request: Req) -> Response[Any]:
        _citizen, data = await self._my_data(request)
        body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="oma-valvomo.json"'},
        )

    @get("/my-data.pdf")
    async def my_data_pdf(self, request: Req) -> Response[Any]:
        citizen, data = await self._my_data(request)
        region = runtime_of(request).settings.region_name
        body = data_pdf(data, citizen.acting_name, region, proxy=citizen.is_proxy)
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="oma-valvomo.pdf"'},
        )

    async def _my_data(self, request: Req) -> tuple[Citizen, dict[str, Any]]:
        citizen = require_citizen(request)
        if citizen.acting_for is None:
            raise NotAuthorizedException(N_("Sign in to continue."))
        data = await my_data.customer_data(runtime_of(request).host, citizen.acting_for, citizen)
        async with transaction():
            await audit.record(citizen, "export", "citizen_data", citizen.acting_for,
                               customer_id=citizen.acting_for)  # fmt: skip
        return citizen, data

    @post("/logout")
    async def log_out(self, request: Req) -> Response[Any]:
        token = request.cookies.get(CITIZEN_COOKIE)
        if token:
            await services.log_out(token)
        response = redirect_with_notice(f"{CITIZEN_PATH}/login", N_("You have signed out."))
        response.delete_cookie(CITIZEN_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return response


async def finish_citizen_sign_in(
    request: Req, provider: IdentityProvider, claims: dict[str, Any], next_path: str
) -> Response[Any]:
    """The broker's answer: a citizen session for a customer or a proxy (see services)."""
    settings = runtime_of(request).settings
    async with transaction():
        token = await services.sign_in_citizen(provider, claims, settings.secret)
    response = Redirect(path=CITIZEN_PATH)
    response.set_cookie(
        CITIZEN_COOKIE,
        token,
        path=CITIZEN_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
    )  # a browser-session cookie; the idle timeout is kept on the server
    response.set_cookie(
        CSRF_COOKIE,
        session_csrf_token(settings.secret, "citizen:" + token),
        samesite="lax",
        secure=settings.cookies_secure,
    )
    return response


SIGN_IN_FINISHERS["citizen"] = finish_citizen_sign_in
