"""Sign-in and sign-out, and the administrator's pages for users, roles and plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.response import Redirect, Response, Template

from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.common.pagination import page_count
from core.db import transaction
from core.identity import services
from core.identity.guards import AUTHENTICATED, LANGUAGE_COOKIE, SESSION_COOKIE, require_user
from core.plugins.host import installed_plugins
from core.web.pages import as_list, form_data, int_field, render, render_conflict
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _client_address(request: Req) -> str:
    return request.client.host if request.client else "unknown"


class SessionController(Controller):
    include_in_schema = False
    opt = {"public": True}  # signing in is open; signing out requires a session

    @get("/login")
    async def login_page(self, request: Req, next: str = "/", lang: str = "") -> Response[Any]:
        page = render(request, "identity/login.html", next=_safe_next(next))
        if lang in ("fi", "sv", "en"):
            redirect = Redirect(path="/login?next=" + _safe_next(next))
            redirect.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
            return redirect
        return page

    @post("/login")
    async def log_in(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        runtime = runtime_of(request)
        async with transaction():
            result = await services.log_in(
                str(data.get("username", "")),
                str(data.get("password", "")),
                _client_address(request),
                runtime.settings.session_hours,
            )
        if result.token is None:
            return render(
                request,
                "identity/login.html",
                status_code=400,
                next=_safe_next(data.get("next")),
                username=data.get("username", ""),
                login_error=result.error,
            )
        response = Redirect(path=_safe_next(data.get("next")))
        response.set_cookie(
            SESSION_COOKIE,
            result.token,
            httponly=True,
            samesite="lax",
            secure=runtime.settings.secure_cookies,
            max_age=runtime.settings.session_hours * 3600,
        )
        return response

    @post("/logout", opt={"permission": AUTHENTICATED})
    async def log_out(self, request: Req) -> Response[Any]:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await services.log_out(token)
        response = Redirect(path="/login")
        response.delete_cookie(SESSION_COOKIE)
        return response


class UserAdminController(Controller):
    path = "/admin"
    include_in_schema = False
    opt = {"permission": "users.manage"}

    @get("/users")
    async def list_users(self, request: Req, page: int = 1) -> Template:
        page = max(1, page)
        users, total = await services.list_users(limit=50, offset=(page - 1) * 50)
        return render(
            request,
            "identity/users.html",
            users=users,
            total=total,
            page=page,
            pages=page_count(total, 50),
        )

    @get("/users/new")
    async def new_user(self, request: Req) -> Template:
        return self._user_form(request, {"language": "fi", "roles": [], "is_active": True})

    @post("/users/new")
    async def create_user(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        roles = as_list(data.get("roles"))
        try:
            async with transaction():
                user_id = await services.create_user(
                    require_user(request),
                    username=str(data.get("username", "")),
                    full_name=str(data.get("full_name", "")),
                    password=str(data.get("password", "")),
                    role_codes=roles,
                    email=str(data.get("email", "")),
                    language=str(data.get("language", "fi")),
                )
        except ValidationFailed as exc:
            return self._user_form(request, {**data, "roles": roles}, exc.errors, 400)
        return Redirect(path=f"/admin/users/{user_id}?saved=1")

    @get("/users/{user_id:int}")
    async def edit_user(self, request: Req, user_id: int, saved: bool = False) -> Template:
        return self._user_form(request, await services.get_user(user_id), saved=saved)

    @post("/users/{user_id:int}")
    async def update_user(self, request: Req, user_id: int) -> Response[Any]:
        data = await form_data(request)
        roles = as_list(data.get("roles"))
        try:
            async with transaction():
                await services.update_user(
                    require_user(request),
                    user_id,
                    int_field(data, "version"),
                    full_name=str(data.get("full_name", "")),
                    email=str(data.get("email", "")),
                    language=str(data.get("language", "fi")),
                    is_active=data.get("is_active") == "on",
                    role_codes=roles,
                    new_password=str(data.get("password", "")),
                )
        except ValidationFailed as exc:
            user = await services.get_user(user_id)
            return self._user_form(request, {**user, **data, "roles": roles}, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request,
                exc,
                f"/admin/users/{user_id}",
                ["full_name", "email", "language", "is_active", "roles"],
            )
        return Redirect(path=f"/admin/users/{user_id}?saved=1")

    def _user_form(
        self,
        request: Req,
        user: dict[str, Any],
        errors: dict[str, str] | None = None,
        status: int = 200,
        saved: bool = False,
    ) -> Template:
        return render(
            request,
            "identity/user_form.html",
            status_code=status,
            user=user,
            errors=errors or {},
            roles=runtime_of(request).roles,
            saved=saved,
        )

    @get("/roles")
    async def list_roles(self, request: Req) -> Template:
        runtime = runtime_of(request)
        labels = {r.code: r.label for r in runtime.roles}
        return render(
            request,
            "identity/roles.html",
            roles=await services.list_roles(),
            labels=labels,
            permissions=runtime.permissions,
        )

    @get("/roles/{role_id:int}")
    async def edit_role(self, request: Req, role_id: int, saved: bool = False) -> Template:
        role = next((r for r in await services.list_roles() if r["id"] == role_id), None)
        if role is None:
            raise NotFound(f"role {role_id}")
        return render(
            request,
            "identity/role_form.html",
            role=role,
            saved=saved,
            permissions=runtime_of(request).permissions,
        )

    @post("/roles/{role_id:int}")
    async def update_role(self, request: Req, role_id: int) -> Response[Any]:
        data = await form_data(request)
        runtime = runtime_of(request)
        try:
            async with transaction():
                await services.update_role_permissions(
                    require_user(request),
                    role_id,
                    int_field(data, "version"),
                    as_list(data.get("permissions")),
                    runtime.permission_codes,
                )
        except VersionConflict as exc:
            return render_conflict(request, exc, f"/admin/roles/{role_id}", ["permissions"])
        return Redirect(path=f"/admin/roles/{role_id}?saved=1")

    @get("/plugins")
    async def list_plugins(self, request: Req) -> Template:
        runtime = runtime_of(request)
        return render(
            request,
            "identity/plugins.html",
            plugins=installed_plugins(runtime.settings.enabled_plugins),
            config_path=runtime.settings.config_path,
        )


# -- API ---------------------------------------------------------------------------------


@dataclass
class UserOut:
    id: int
    username: str
    full_name: str
    email: str
    language: str
    is_active: bool
    roles: list[str]


@dataclass
class UserIn:
    username: str
    full_name: str
    password: str
    roles: list[str] = field(default_factory=list)
    email: str = ""
    language: str = "fi"


@dataclass
class UserUpdate:
    version: int
    full_name: str
    roles: list[str] = field(default_factory=list)
    email: str = ""
    language: str = "fi"
    is_active: bool = True
    password: str = ""


@dataclass
class MeOut:
    id: int
    username: str
    full_name: str
    language: str
    roles: list[str]
    permissions: list[str]


def _user_out(user: dict[str, Any]) -> UserOut:
    return UserOut(
        **{
            k: user[k]
            for k in ("id", "username", "full_name", "email", "language", "is_active", "roles")
        }
    )


class UserApi(Controller):
    path = "/api"
    tags = ["users"]
    opt = {"permission": "users.manage"}

    @get("/me", opt={"permission": AUTHENTICATED})
    async def me(self, request: Req) -> MeOut:
        """The signed-in user with roles and permissions."""
        user = require_user(request)
        return MeOut(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            language=user.language,
            roles=list(user.role_codes),
            permissions=sorted(user.permissions),
        )

    @get("/users")
    async def list_users(self, page: int = 1) -> list[UserOut]:
        page = max(1, min(page, 100_000))
        users, _ = await services.list_users(limit=50, offset=(page - 1) * 50)
        return [_user_out(u) for u in users]

    @get("/users/{user_id:int}")
    async def get_user(self, user_id: int) -> UserOut:
        return _user_out(await services.get_user(user_id))

    @post("/users")
    async def create_user(self, request: Req, data: UserIn) -> UserOut:
        async with transaction():
            user_id = await services.create_user(
                require_user(request),
                username=data.username,
                full_name=data.full_name,
                password=data.password,
                role_codes=data.roles,
                email=data.email,
                language=data.language,
            )
        return _user_out(await services.get_user(user_id))

    @put("/users/{user_id:int}")
    async def update_user(self, request: Req, user_id: int, data: UserUpdate) -> UserOut:
        async with transaction():
            await services.update_user(
                require_user(request),
                user_id,
                data.version,
                full_name=data.full_name,
                email=data.email,
                language=data.language,
                is_active=data.is_active,
                role_codes=data.roles,
                new_password=data.password,
            )
        return _user_out(await services.get_user(user_id))
