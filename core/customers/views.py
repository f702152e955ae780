"""Customer pages and the customer API. Thin: parse, call a service, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.response import Redirect, Response, Template

from core.common.errors import ValidationFailed, VersionConflict
from core.common.pagination import ResultPage
from core.customers import services
from core.customers.services import CustomerRecord
from core.db import transaction
from core.i18n import N_
from core.identity.guards import require_user
from core.web.confirm import is_confirmed, render_confirmation
from core.web.notices import redirect_with_notice
from core.web.openapi import RecordId
from core.web.pages import form_data, int_field, render, render_conflict
from core.web.panels import collect_panels
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]


class CustomerPages(Controller):
    path = "/customers"
    include_in_schema = False
    opt = {"permission": "customers.view"}

    @get("/")
    async def list_customers(self, request: Req, page: int = 1) -> Template:
        result = await services.search_customers("", max(1, page), "")
        return self._list(request, result, "", "")

    @post("/search", status_code=200)
    async def search(self, request: Req) -> Response[Any]:
        """Searches arrive by POST and are answered at once; the terms (perhaps an identity
        code) never enter URLs, the session or logs. Later pages are POSTs of the same form."""
        data = await form_data(request)
        query, status = str(data.get("q", ""))[:100], str(data.get("status", ""))
        page = max(1, min(int_field(data, "page", 1), 100_000))
        result = await services.search_customers(query, page, status)
        if query.strip() and result.total == 1:
            return Redirect(path=f"/customers/{result.rows[0]['id']}")  # found in one step
        return self._list(request, result, query, status)

    def _list(self, request: Req, result: Any, query: str, status: str) -> Template:
        return render(
            request,
            "customers/list.html",
            result=result,
            query=query,
            status=status,
            statuses=services.STATUSES,
        )

    @get("/new", opt={"permission": "customers.edit"})
    async def new_customer(self, request: Req) -> Template:
        return self._form(request, {"language": "fi", "status": "active"})

    @post("/new", opt={"permission": "customers.edit"})
    async def create_customer(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                customer_id = await services.create_customer(
                    require_user(request), data, runtime_of(request).settings.municipalities
                )
        except ValidationFailed as exc:
            return self._form(request, data, exc.errors, 400)
        return redirect_with_notice(f"/customers/{customer_id}", N_("The customer was added."))

    @get("/{customer_id:int}")
    async def customer_page(self, request: Req, customer_id: int) -> Template:
        user = require_user(request)
        # The view's access-log entry is written with the read (one INSERT, atomic on its own:
        # no BEGIN and COMMIT round trips around it).
        customer, contacts = await services.get_customer_with_contacts(customer_id, viewer=user)
        panels = await collect_panels(
            request, "valvomo_customer_panels", customer=customer, user=user
        )
        return render(
            request, "customers/page.html", customer=customer, contacts=contacts, panels=panels
        )

    @get("/{customer_id:int}/edit", opt={"permission": "customers.edit"})
    async def edit_customer(self, request: Req, customer_id: int) -> Template:
        customer = await services.get_customer(customer_id)
        async with transaction():
            await services.record_view(require_user(request), customer_id)
        return self._form(request, asdict(customer), customer=customer)

    @post("/{customer_id:int}/edit", opt={"permission": "customers.edit"})
    async def update_customer(self, request: Req, customer_id: int) -> Response[Any]:
        data = await form_data(request)
        runtime = runtime_of(request)
        try:
            async with transaction():
                await services.update_customer(
                    require_user(request),
                    customer_id,
                    int_field(data, "version"),
                    data,
                    runtime.settings.municipalities,
                    runtime.host,
                )
        except ValidationFailed as exc:
            customer = await services.get_customer(customer_id)
            return self._form(
                request,
                {**data, "version": data.get("version")},
                exc.errors,
                400,
                customer=customer,
            )
        except VersionConflict as exc:
            return render_conflict(
                request, exc, f"/customers/{customer_id}/edit", list(services.EDITABLE_FIELDS)
            )
        return redirect_with_notice(
            f"/customers/{customer_id}", N_("The customer's details were saved.")
        )

    def _form(
        self,
        request: Req,
        values: dict[str, Any],
        errors: dict[str, str] | None = None,
        status: int = 200,
        customer: CustomerRecord | None = None,
    ) -> Template:
        return render(
            request,
            "customers/form.html",
            status_code=status,
            values=values,
            errors=errors or {},
            customer=customer,
            statuses=services.STATUSES,
            municipalities=runtime_of(request).settings.municipalities,
        )

    @post("/{customer_id:int}/contacts", opt={"permission": "customers.edit"})
    async def add_contact(self, request: Req, customer_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                await services.add_contact(require_user(request), customer_id, data)
        except ValidationFailed as exc:
            return await self._page_with_contact_errors(request, customer_id, data, exc.errors)
        return redirect_with_notice(
            f"/customers/{customer_id}#contacts", N_("The contact person was added.")
        )

    @get("/{customer_id:int}/contacts/{contact_id:int}", opt={"permission": "customers.edit"})
    async def edit_contact(self, request: Req, customer_id: int, contact_id: int) -> Template:
        customer = await services.get_customer(customer_id)
        contact = await services.get_contact(customer_id, contact_id)
        async with transaction():
            await services.record_view(require_user(request), customer_id, "contact_person")
        return render(
            request,
            "customers/contact_form.html",
            customer=customer,
            contact=contact,
            values=contact,
        )

    @post("/{customer_id:int}/contacts/{contact_id:int}", opt={"permission": "customers.edit"})
    async def update_contact(
        self, request: Req, customer_id: int, contact_id: int
    ) -> Response[Any]:
        data = await form_data(request)
        path = f"/customers/{customer_id}/contacts/{contact_id}"
        back = f"/customers/{customer_id}#contacts"
        removing = data.get("action") == "delete"
        if removing and not is_confirmed(data):
            contact = await services.get_contact(customer_id, contact_id)
            return render_confirmation(
                request,
                title=N_("Remove the contact person?"),
                message=N_("%(name)s will be removed from the customer's contact persons."),
                action=path,
                fields=data,
                confirm_label=N_("Remove the contact person"),
                cancel_href=back,
                name=contact["name"],
            )
        try:
            async with transaction():
                if removing:
                    await services.remove_contact(require_user(request), customer_id, contact_id)
                else:
                    await services.update_contact(
                        require_user(request),
                        customer_id,
                        contact_id,
                        int_field(data, "version"),
                        data,
                    )
        except ValidationFailed as exc:
            return render(
                request,
                "customers/contact_form.html",
                status_code=400,
                customer=await services.get_customer(customer_id),
                contact=await services.get_contact(customer_id, contact_id),
                values=data,
                errors=exc.errors,
            )
        except VersionConflict as exc:
            return render_conflict(request, exc, path, list(services.CONTACT_FIELDS))
        if removing:
            return redirect_with_notice(back, N_("The contact person was removed."))
        return redirect_with_notice(back, N_("The contact person's details were saved."))

    async def _page_with_contact_errors(
        self,
        request: Req,
        customer_id: int,
        data: dict[str, Any],
        errors: dict[str, str],
        contact_id: int = 0,
    ) -> Template:
        customer = await services.get_customer(customer_id)
        return render(
            request,
            "customers/page.html",
            status_code=400,
            customer=customer,
            contacts=await services.list_contacts(customer_id),
            panels=[],
            contact_values=data,
            contact_errors=errors,
            contact_id=contact_id,
        )


# -- API ---------------------------------------------------------------------------------


@dataclass
class CustomerIn:
    identity_code: str
    first_name: str
    last_name: str
    municipality: str
    street_address: str = ""
    postal_code: str = ""
    phone: str = ""
    language: str = "fi"
    status: str = "active"
    status_date: str = ""
    notes: str = ""


@dataclass
class CustomerUpdate(CustomerIn):
    version: int = 0


@dataclass
class CustomerOut:
    id: int
    identity_code: str
    first_name: str
    last_name: str
    street_address: str
    postal_code: str
    municipality: str
    phone: str
    language: str
    status: str
    status_date: dt.date | None
    notes: str
    version: int


@dataclass
class CustomerSearch:
    query: str = ""
    status: str = ""
    page: int = 1


@dataclass
class CustomerSummary:
    id: int
    identity_code: str
    first_name: str
    last_name: str
    municipality: str
    phone: str
    status: str
    street_address: str


@dataclass
class CustomerPage:
    items: list[CustomerSummary]
    total: int
    page: int
    pages: int
    # A search counts its matches up to 500: true when more match (`total` is then 500 and
    # `pages` reach the 500th; refine the search to see the rest).
    capped: bool = False


@dataclass
class ContactIn:
    name: str
    relationship: str = ""
    phone: str = ""
    email: str = ""
    notes: str = ""


@dataclass
class ContactOut(ContactIn):
    id: int = 0
    version: int = 0


def _page(result: ResultPage) -> CustomerPage:
    return CustomerPage(
        items=[CustomerSummary(**r) for r in result.rows],
        total=result.total,
        page=result.page,
        pages=result.pages,
        capped=result.capped,
    )


class CustomerApi(Controller):
    path = "/api/customers"
    tags = ["customers"]
    opt = {"permission": "customers.view"}

    @get("/")
    async def list_customers(self, page: int = 1) -> CustomerPage:
        """Every customer, 25 a page, in name order (identity codes masked)."""
        return _page(await services.search_customers("", max(1, min(page, 100_000))))

    @post("/search", status_code=200)
    async def search_customers(self, data: CustomerSearch) -> CustomerPage:
        """Search by name, phone or identity code. A POST so identity codes stay out of URLs."""
        return _page(
            await services.search_customers(
                data.query[:100], max(1, min(data.page, 100_000)), data.status
            )
        )

    @get("/{customer_id:int}")
    async def get_customer(self, request: Req, customer_id: RecordId) -> CustomerOut:
        customer = await services.get_customer(customer_id)
        async with transaction():
            await services.record_view(require_user(request), customer_id)
        return CustomerOut(**asdict(customer))

    @post("/", opt={"permission": "customers.edit"})
    async def create_customer(self, request: Req, data: CustomerIn) -> CustomerOut:
        async with transaction():
            customer_id = await services.create_customer(
                require_user(request), asdict(data), runtime_of(request).settings.municipalities
            )
        return CustomerOut(**asdict(await services.get_customer(customer_id)))

    @put("/{customer_id:int}", opt={"permission": "customers.edit"})
    async def update_customer(
        self, request: Req, customer_id: RecordId, data: CustomerUpdate
    ) -> CustomerOut:
        """Save corrections. A stale `version` gets 409 with both the saved and sent values."""
        runtime = runtime_of(request)
        async with transaction():
            saved = await services.update_customer(
                require_user(request),
                customer_id,
                data.version,
                asdict(data),
                runtime.settings.municipalities,
                runtime.host,
            )
        return CustomerOut(**asdict(saved))

    @get("/{customer_id:int}/contacts")
    async def list_contacts(self, request: Req, customer_id: RecordId) -> list[ContactOut]:
        await services.get_customer(customer_id)
        async with transaction():
            await services.record_view(require_user(request), customer_id, "contact_person")
        return [
            ContactOut(**{k: r[k] for k in ("id", "version", *services.CONTACT_FIELDS)})
            for r in await services.list_contacts(customer_id)
        ]

    @post("/{customer_id:int}/contacts", opt={"permission": "customers.edit"})
    async def add_contact(self, request: Req, customer_id: RecordId, data: ContactIn) -> ContactOut:
        async with transaction():
            contact_id = await services.add_contact(
                require_user(request), customer_id, asdict(data)
            )
        contacts = await services.list_contacts(customer_id)
        row = next(r for r in contacts if r["id"] == contact_id)
        return ContactOut(**{k: row[k] for k in ("id", "version", *services.CONTACT_FIELDS)})
