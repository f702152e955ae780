"""Security phone pages. Thin: parse the form, call a service in one transaction, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Response, Template

from plugins.security_phones import (
    alarms,
    customer_service,
    decisions,
    forms,
    inventory,
    reports,
    visits,
)
from valvomo.api import (
    HELSINKI,
    N_,
    CurrentUser,
    ValidationFailed,
    VersionConflict,
    audit,
    form_data,
    get_customer,
    int_field,
    is_confirmed,
    list_area,
    month_text,
    parse_form,
    parse_period,
    record_view,
    redirect_with_notice,
    render,
    render_confirmation,
    require_user,
    runtime_of,
    today,
    transaction,
)

Req = Request[Any, Any, Any]
BASE = "/security-phones"


def conflict_page(request: Req, conflict: VersionConflict, page: str) -> Template:
    """Both versions side by side; saving again posts the user's values to the same address."""
    return render(
        request, "errors/conflict.html", status_code=409, conflict=conflict,
        fields=list(conflict.submitted), action=request.url.path, cancel=page,
    )  # fmt: skip


class DevicePages(Controller):
    path = f"{BASE}/devices"
    include_in_schema = False
    opt = {"permission": "security_phones.view"}

    @get("/")
    async def list_devices(
        self, request: Req, status: str = "", kind: str = "", serial: str = "", page: int = 1
    ) -> Template:
        return await self._list(request, status, kind, serial, page)

    async def _list(
        self,
        request: Req,
        status: str,
        kind: str,
        serial: str,
        page: int,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        code: int = 200,
    ) -> Template:
        result = await inventory.list_devices(status, kind, serial, page)
        return render(
            request,
            "security_phones/devices.html",
            status_code=code,
            result=result,
            filters={"status": status, "kind": kind, "serial": serial},
            statuses=inventory.STATUSES,
            kinds=forms.KINDS,
            values=values or {},
            errors=errors or {},
        )

    @post("/", opt={"permission": "security_phones.manage"})
    async def add_device(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                device_id = await inventory.add_device(require_user(request), data)
        except ValidationFailed as exc:
            return await self._list(request, "", "", "", 1, data, exc.errors, 400)
        return redirect_with_notice(f"{BASE}/devices/{device_id}", N_("The device was added."))

    @get("/{device_id:int}")
    async def device_page(self, request: Req, device_id: int) -> Template:
        return await self._page(request, device_id)

    async def _page(
        self, request: Req, device_id: int, errors: dict[str, str] | None = None, code: int = 200
    ) -> Template:
        history = await inventory.device_history(device_id)
        async with transaction():
            for customer_id in dict.fromkeys(e["customer"] for e in history if e["customer"]):
                await record_view(require_user(request), customer_id, "security_phone_device")
        return render(
            request,
            "security_phones/device.html",
            status_code=code,
            device=await inventory.get_device(device_id),
            history=history,
            manual_statuses=forms.MANUAL_STATUSES,
            errors=errors or {},
        )

    @post("/{device_id:int}/status", opt={"permission": "security_phones.manage"})
    async def change_status(self, request: Req, device_id: int) -> Response[Any]:
        data = await form_data(request)
        try:
            async with transaction():
                await inventory.change_status(
                    require_user(request),
                    device_id,
                    int_field(data, "version"),
                    data,
                )
        except ValidationFailed as exc:
            return await self._page(request, device_id, exc.errors, 400)
        except VersionConflict as exc:
            return conflict_page(request, exc, f"{BASE}/devices/{device_id}")
        return redirect_with_notice(
            f"{BASE}/devices/{device_id}", N_("The device's status was changed.")
        )


Action = Callable[[CurrentUser, int, dict[str, Any]], Awaitable[Any]]
Confirmation = tuple[str, str, str]  # title, message, confirm button (N_() msgids)


class CustomerPages(Controller):
    """A customer's service: start, installation, devices, calling order, keys and ending."""

    path = f"{BASE}/customers/{{customer_id:int}}"
    include_in_schema = False
    opt = {"permission": "security_phones.manage"}

    @get("/", opt={"permission": "security_phones.view"})
    async def service_page(self, request: Req, customer_id: int) -> Template:
        customer = await get_customer(customer_id)
        async with transaction():
            await record_view(require_user(request), customer_id, "security_phone_service")
        return await self._render(request, customer_id, customer)

    @get(
        "/decisions/{decision_id:int}/letter",
        opt={"permission": "security_phones.view"},
        media_type="application/pdf",
    )
    async def decision_letter(
        self, request: Req, customer_id: int, decision_id: int
    ) -> Response[bytes]:
        """The decision's letter to print and post (or the copy of one told by SMS)."""
        decision = await decisions.decision_of_customer(customer_id, decision_id)
        customer = await get_customer(customer_id)
        async with transaction():
            await audit.record(require_user(request), "view", "sp_decision", decision_id,
                               customer_id=customer_id)  # fmt: skip
        return decisions.NOTICES.letter_response(decision, customer)

    async def _render(
        self,
        request: Req,
        customer_id: int,
        customer: Any = None,
        form: str = "",
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        code: int = 200,
    ) -> Template:
        service = await customer_service.current_service(customer_id)
        contacts = await customer_service.calling_order(customer_id)
        return render(
            request,
            "security_phones/customer.html",
            status_code=code,
            customer=customer or await get_customer(customer_id),
            service=service,
            service_values=customer_service.service_values(service),
            devices=await customer_service.installed_devices(customer_id),
            contacts=contacts,
            order_version=customer_service.calling_order_version(contacts),
            keys=await customer_service.keys_with_handovers(customer_id),
            decisions=await decisions.decisions_of_customer(customer_id),
            decision_kinds=decisions.KINDS,
            alarms=await visits.list_alarms(customer_id=customer_id),
            centres=await alarms.list_centres(),
            form=form,
            values=values or {},
            errors=errors or {},
            today=today(),
        )

    async def _act(
        self,
        request: Req,
        customer_id: int,
        form: str,
        action: Action,
        notice: str,
        confirm: Confirmation | None = None,
    ) -> Response[Any]:
        data = await form_data(request)
        back = f"{BASE}/customers/{customer_id}#{form}"
        if confirm is not None and not is_confirmed(data):
            title, message, confirm_label = confirm
            return render_confirmation(
                request,
                title=title,
                message=message,
                action=request.url.path,
                fields=data,
                confirm_label=confirm_label,
                cancel_href=back,
            )
        try:
            async with transaction():
                await action(require_user(request), customer_id, data)
        except ValidationFailed as exc:
            return await self._render(request, customer_id, None, form, data, exc.errors, 400)
        except VersionConflict as exc:
            return conflict_page(request, exc, f"{BASE}/customers/{customer_id}")
        return redirect_with_notice(back, notice)

    @post("/service")
    async def start_service(self, request: Req, customer_id: int) -> Response[Any]:
        return await self._act(
            request,
            customer_id,
            "service",
            customer_service.start_service,
            N_("The security phone service was started."),
        )

    @post("/service/edit")
    async def update_service(self, request: Req, customer_id: int) -> Response[Any]:
        async def update(user: CurrentUser, cid: int, data: dict[str, Any]) -> None:
            await customer_service.update_service(user, cid, int_field(data, "version"), data)

        return await self._act(
            request, customer_id, "service", update, N_("The service details were saved.")
        )

    @post("/installation")
    async def installation_visit(self, request: Req, customer_id: int) -> Response[Any]:
        async def record(user: CurrentUser, cid: int, data: dict[str, Any]) -> None:
            await customer_service.record_installation_visit(
                user, cid, int_field(data, "version"), data
            )

        return await self._act(
            request, customer_id, "installation", record, N_("The installation visit was recorded.")
        )

    @post("/devices")
    async def install_device(self, request: Req, customer_id: int) -> Response[Any]:
        return await self._act(
            request,
            customer_id,
            "devices",
            customer_service.install_device,
            N_("The device was installed."),
        )

    @post("/devices/{device_id:int}/remove")
    async def remove_device(self, request: Req, customer_id: int, device_id: int) -> Response[Any]:
        async def remove(user: CurrentUser, cid: int, data: dict[str, Any]) -> None:
            await customer_service.remove_device(user, cid, device_id, data)

        return await self._act(
            request,
            customer_id,
            "devices",
            remove,
            N_("The device was removed from the customer."),
            (
                N_("Remove the device?"),
                N_("The device will be marked as removed from the customer's home."),
                N_("Remove the device"),
            ),
        )

    @post("/calling-order")
    async def calling_order(self, request: Req, customer_id: int) -> Response[Any]:
        return await self._act(
            request,
            customer_id,
            "calling-order",
            customer_service.set_calling_order,
            N_("The calling order was saved."),
        )

    @post("/keys")
    async def add_key(self, request: Req, customer_id: int) -> Response[Any]:
        return await self._act(
            request, customer_id, "keys", customer_service.add_key, N_("The key was added.")
        )

    @post("/keys/{key_id:int}")
    async def hand_over_key(self, request: Req, customer_id: int, key_id: int) -> Response[Any]:
        async def hand_over(user: CurrentUser, cid: int, data: dict[str, Any]) -> None:
            await customer_service.hand_over_key(
                user, cid, key_id, int_field(data, "version"), data
            )

        return await self._act(
            request, customer_id, "keys", hand_over, N_("The key handover was recorded.")
        )

    @post("/end")
    async def end_service(self, request: Req, customer_id: int) -> Response[Any]:
        async def end(user: CurrentUser, cid: int, data: dict[str, Any]) -> None:
            await customer_service.end_service(user, cid, int_field(data, "version"), data)

        return await self._act(
            request,
            customer_id,
            "end",
            end,
            N_("The security phone service was ended."),
            (
                N_("End the security phone service?"),
                N_("The service ends on the day you gave; billing stops after it."),
                N_("End the service"),
            ),
        )


class AlarmPages(Controller):
    path = f"{BASE}/alarms"
    include_in_schema = False
    opt = {"permission": "security_phones.visits"}

    @get("/")
    async def list_alarms(
        self,
        request: Req,
        waiting: bool = False,
        page: int = 1,
        month: str = "",
        municipality: str = "",
        unit: str = "",
    ) -> Template:
        """Every alarm, or those waiting for a visit, or (from the situational picture) those
        of one month, of one municipality's customers or one alarm centre."""
        try:
            period = parse_period(month) if month else None
        except ValueError:
            period = None
        area = list_area(runtime_of(request).settings.municipalities, municipality, unit)
        result = await visits.list_alarms(waiting_only=waiting, page=page, month=period, area=area)
        return render(
            request,
            "security_phones/alarms.html",
            result=result,
            waiting=waiting,
            month=f"{period.year}-{period.month:02d}" if period else "",
            month_text=month_text(period) if period else "",
            area=area,
        )

    @get("/{alarm_id:int}")
    async def alarm_page(self, request: Req, alarm_id: int) -> Template:
        alarm = await visits.get_alarm(alarm_id)
        if alarm["customer"]:
            async with transaction():
                await record_view(require_user(request), alarm["customer"], "security_phone_alarm")
        return await self._render(request, alarm)

    async def _render(
        self,
        request: Req,
        alarm: dict[str, Any],
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        code: int = 200,
    ) -> Template:
        visit = await visits.get_visit(alarm["id"])
        customer_id = alarm["customer"]
        keys = await customer_service.keys_with_handovers(customer_id) if customer_id else []
        contacts = await customer_service.calling_order(customer_id) if customer_id else []
        return render(
            request,
            "security_phones/alarm.html",
            status_code=code,
            alarm=alarm,
            visit=visit,
            values=values if values is not None else _visit_values(visit),
            errors=errors or {},
            keys=[k for k in keys if not k["returned"]],
            contacts=[c for c in contacts if c["position"]],
        )

    @post("/{alarm_id:int}/visit")
    async def save_visit(self, request: Req, alarm_id: int) -> Response[Any]:
        data = await form_data(request)
        version = int_field(data, "version") or None
        try:
            async with transaction():
                await visits.save_visit(require_user(request), alarm_id, version, data)
        except ValidationFailed as exc:
            return await self._render(
                request, await visits.get_alarm(alarm_id), data, exc.errors, 400
            )
        except VersionConflict as exc:
            return conflict_page(request, exc, f"{BASE}/alarms/{alarm_id}")
        return redirect_with_notice(f"{BASE}/alarms/{alarm_id}", N_("The alarm visit was saved."))


def _visit_values(visit: dict[str, Any] | None) -> dict[str, Any]:
    if visit is None:
        return {}
    values = dict(visit)
    for name in ("dispatched_at", "arrived_at", "done_at"):
        if visit[name] is not None:
            values[name] = visit[name].astimezone(HELSINKI).strftime("%Y-%m-%dT%H:%M")
    return values


class AdminPages(Controller):
    """Alarm centres with their API tokens, and the alarm CSV upload."""

    path = BASE
    include_in_schema = False
    opt = {"permission": "security_phones.manage"}

    @get("/centres")
    async def centres(self, request: Req) -> Template:
        return await self._centres(request)

    async def _centres(
        self,
        request: Req,
        token: str = "",
        errors: dict[str, str] | None = None,
        code: int = 200,
        values: dict[str, Any] | None = None,
    ) -> Template:
        return render(
            request,
            "security_phones/centres.html",
            status_code=code,
            centres=await alarms.list_centres(),
            token=token,
            errors=errors or {},
            values=values or {},
        )

    @post("/centres")
    async def create_centre(self, request: Req) -> Template:
        data = await form_data(request)
        try:
            async with transaction():
                centre = parse_form(forms.CentreForm, data)
                _, token = await alarms.create_centre(require_user(request), centre.name)
        except ValidationFailed as exc:
            return await self._centres(request, errors=exc.errors, code=400, values=data)
        return await self._centres(request, token=token)

    @post("/centres/{centre_id:int}/token")
    async def renew_token(self, request: Req, centre_id: int) -> Template:
        async with transaction():
            token = await alarms.renew_token(require_user(request), centre_id)
        return await self._centres(request, token=token)

    @get("/import")
    async def import_form(self, request: Req) -> Template:
        return await self._import(request)

    async def _import(
        self,
        request: Req,
        result: alarms.ImportResult | None = None,
        errors: dict[str, str] | None = None,
        code: int = 200,
    ) -> Template:
        centres = await alarms.list_centres()
        return render(
            request,
            "security_phones/import.html",
            status_code=code,
            result=result,
            centres=[(c["id"], c["name"]) for c in centres],
            errors=errors or {},
            values={},
            columns=alarms.CSV_COLUMNS,
        )

    @post("/import")
    async def import_upload(self, request: Req) -> Template:
        form = await request.form()
        upload = form.get("file")
        centre = str(form.get("centre") or "")
        if upload is None or isinstance(upload, str) or not centre.isdigit():
            return await self._import(
                request, errors={"file": N_("Choose the alarm centre and a CSV file.")}, code=400
            )
        try:
            text = (await upload.read()).decode("utf-8-sig")
        except UnicodeDecodeError:
            return await self._import(
                request, errors={"file": N_("Save the file as UTF-8 CSV.")}, code=400
            )
        rows, problems = alarms.read_csv(text)
        if problems:
            return await self._import(request, alarms.ImportResult(errors=problems), code=400)
        try:
            async with transaction():
                result = await alarms.import_alarms(require_user(request), int(centre), rows)
                if result.errors:
                    raise _Refused(result)
        except _Refused as refused:
            return await self._import(request, refused.result, code=400)
        except ValidationFailed as exc:
            return await self._import(request, errors=exc.errors, code=400)
        return await self._import(request, result)


class _Refused(Exception):
    """Rolls the import's transaction back when any row is malformed."""

    def __init__(self, result: alarms.ImportResult) -> None:
        super().__init__("import refused")
        self.result = result


class ReportPages(Controller):
    path = f"{BASE}/reports"
    include_in_schema = False
    opt = {"permission": "security_phones.reports"}

    @get("/")
    async def reports_page(
        self, request: Req, year: int | None = None, municipality: str = "", unit: str = ""
    ) -> Template:
        """The year's reports; from the situational picture, narrowed to one municipality's
        customers or one alarm centre."""
        year = _year(year)
        area = list_area(runtime_of(request).settings.municipalities, municipality, unit)
        names = reports.AREA_NAMES if area else reports.NAMES
        tables = [await reports.build(name, year, today(), area) for name in names]
        return render(
            request,
            "security_phones/reports.html",
            year=year,
            area=area,
            tables=list(zip(names, tables, strict=True)),
        )

    @get("/csv/{name:str}")
    async def report_csv(
        self,
        request: Req,
        name: str,
        year: int | None = None,
        municipality: str = "",
        unit: str = "",
    ) -> Response[Any]:
        area = list_area(runtime_of(request).settings.municipalities, municipality, unit)
        if name not in (reports.AREA_NAMES if area else reports.NAMES):
            return Response("Unknown report", status_code=404, media_type="text/plain")
        table = await reports.build(name, _year(year), today(), area)
        return Response(
            reports.as_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="security_phones_{name}.csv"'},
        )


def _year(year: int | None) -> int:
    return year if year is not None and 2000 <= year <= 2100 else today().year


CONTROLLERS = [DevicePages, CustomerPages, AlarmPages, AdminPages, ReportPages]
