"""Sign-in and sign-out, and the administrator's pages for users, roles and plugins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.response import Redirect, Response, Template

from core.common.errors import NotFound, ValidationFailed, VersionConflict
from core.common.pagination import page_count
from core.config import IdentityProvider, IdentitySettings, Settings
from core.db import transaction
from core.i18n import N_
from core.identity import oidc, second_factor, services, sso
from core.identity.forms import NewUserForm, RoleForm, UserForm, password_errors
from core.identity.guards import (
    AUTHENTICATED,
    CITIZEN_PATH,
    CSRF_COOKIE,
    LANGUAGE_COOKIE,
    SECOND_FACTOR_PATH,
    SESSION_COOKIE,
    require_user,
    session_csrf_token,
)
from core.operations.metrics import LOGIN_FAILURES
from core.plugins.host import installed_plugins
from core.web.confirm import is_confirmed, render_confirmation
from core.web.forms import parse_form
from core.web.notices import redirect_with_notice
from core.web.openapi import RecordId
from core.web.pages import as_list, form_data, int_field, render, render_conflict
from core.web.runtime import runtime_of

Req = Request[Any, Any, Any]
# A whole office behind one NAT address signs in at the start of a shift; wrong passwords
# are throttled separately (services.log_in), this only stops floods.
LOGIN_REQUESTS_PER_ADDRESS = "300/minute"


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
        if lang in ("fi", "sv", "en"):
            redirect = Redirect(path="/login?next=" + _safe_next(next))
            redirect.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="lax")
            return redirect
        return _login_page(request, next=_safe_next(next))

    # Sessionless: the request holds no pool connection while its password waits for a
    # hashing thread, so a burst of logins cannot take every connection from other pages.
    @post("/login", opt={"rate_limit": LOGIN_REQUESTS_PER_ADDRESS, "sessionless": True})
    async def log_in(self, request: Req) -> Response[Any]:
        data = await form_data(request)
        runtime = runtime_of(request)
        result = await services.log_in(
            str(data.get("username", "")),
            str(data.get("password", "")),
            _client_address(request),
            runtime.settings.session_hours,
            code=str(data.get("code", ""))[:20],
            password_roles=_password_roles(runtime.settings.identity),
        )
        if result.token is None:
            LOGIN_FAILURES.inc()
            page = _login_page(
                request,
                status_code=503 if result.busy else 429 if result.wait_seconds else 400,
                next=_safe_next(data.get("next")),
                username=data.get("username", ""),
                login_error=result.error,
            )
            if result.wait_seconds:
                page.headers["Retry-After"] = str(result.wait_seconds)
            return page
        return signed_in(runtime.settings, result.token, _safe_next(data.get("next")))

    @post("/logout", opt={"permission": AUTHENTICATED})
    async def log_out(self, request: Req) -> Response[Any]:
        token = request.cookies.get(SESSION_COOKIE)
        user = require_user(request)
        data = await services.session_data(user.session_id) if user.session_id else {}
        if token:
            await services.log_out(token)
        settings = runtime_of(request).settings
        provider = settings.identity.provider(str(data.get("provider", "")))
        response: Response[Any]
        if provider is None:
            response = redirect_with_notice("/login", N_("You have signed out."))
        else:
            request.scope["user"] = None
            response = render(
                request,
                "identity/signed_out.html",
                provider_label=provider_label(provider),
                provider_logout=await oidc.logout_url(provider, settings),
            )
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return response


def _login_page(request: Req, status_code: int = 200, **context: Any) -> Template:
    identity = runtime_of(request).settings.identity
    return render(
        request,
        "identity/login.html",
        status_code=status_code,
        providers=[(p.name, provider_label(p)) for p in identity.providers_for("staff")],
        break_glass_only=identity.local_passwords == "break_glass",
        **context,
    )


def signed_in(settings: Settings, token: str, next_path: str) -> Response[Any]:
    """The redirect after a staff sign-in, setting the session and its CSRF cookie."""
    response = Redirect(path=next_path)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        max_age=settings.session_hours * 3600,
    )
    response.set_cookie(
        CSRF_COOKIE,
        session_csrf_token(settings.secret, token),
        samesite="lax",
        secure=settings.cookies_secure,
    )
    return response


def _password_roles(identity: IdentitySettings) -> tuple[str, ...] | None:
    return identity.break_glass_roles if identity.local_passwords == "break_glass" else None


def provider_label(provider: IdentityProvider) -> str:
    return provider.label or provider.name


REFUSAL_MESSAGES = {
    "user_disabled": N_("Your account has been disabled. Ask your administrator."),
    "no_role": N_("Your account has no role in Valvomo. Ask your administrator."),
    "username_taken": N_(
        "An account with your username already exists here. Ask your administrator."
    ),
    "provider_unreachable": N_("The sign-in service cannot be reached. Try again later."),
    "not_a_customer": N_(
        "We did not find you among our customers, so there is nothing to show here. If you"
        " think you should be a customer, call the region's customer guidance."
    ),
}
GENERIC_REFUSAL = N_("The sign-in could not be completed. Start again from the sign-in page.")


def refused_page(request: Req, provider: IdentityProvider, error: oidc.SignInRefused) -> Any:
    """The clear page of a refused sign-in; the reason goes to the log without the person."""
    oidc.log_refusal(provider.name, error.reason)
    LOGIN_FAILURES.inc()
    citizen = provider.audience == "citizen"
    response = render(
        request,
        "identity/sign_in_refused.html",
        status_code=error.status,
        message=REFUSAL_MESSAGES.get(error.reason, GENERIC_REFUSAL),
        start_again=CITIZEN_PATH + "/login" if citizen else "/login",
        audience="citizen" if citizen else "staff",
        polite=error.reason == "not_a_customer",
    )
    response.delete_cookie(oidc.FLOW_COOKIE, path=FLOW_PATH)
    return response


FLOW_PATH = "/login/oidc"


class SingleSignOnController(Controller):
    """Both legs of an OpenID Connect sign-in: away to the provider and back."""

    path = FLOW_PATH
    include_in_schema = False
    opt = {"public": True}

    @get("/{name:str}")
    async def start(self, request: Req, name: str, next: str = "/") -> Response[Any]:
        settings = runtime_of(request).settings
        provider = _provider(settings, name)
        try:
            url, cookie = await oidc.start(settings, provider, _safe_next(next))
        except oidc.SignInRefused as exc:
            return refused_page(request, provider, exc)
        response = Redirect(path=url)
        response.set_cookie(
            oidc.FLOW_COOKIE,
            cookie,
            path=FLOW_PATH,
            max_age=oidc.FLOW_SECONDS,
            httponly=True,
            samesite="lax",
            secure=settings.cookies_secure,
        )
        return response

    @get("/{name:str}/callback")
    async def callback(self, request: Req, name: str) -> Response[Any]:
        settings = runtime_of(request).settings
        provider = _provider(settings, name)
        query = {k: str(v) for k, v in request.query_params.items()}
        try:
            claims, next_path = await oidc.finish(
                settings, provider, request.cookies.get(oidc.FLOW_COOKIE), query
            )
            finish = SIGN_IN_FINISHERS[provider.audience]
            response = await finish(request, provider, claims, next_path)
        except oidc.SignInRefused as exc:
            return refused_page(request, provider, exc)
        response.delete_cookie(oidc.FLOW_COOKIE, path=FLOW_PATH)
        return response


def _provider(settings: Settings, name: str) -> IdentityProvider:
    provider = settings.identity.provider(name)
    if provider is None:
        oidc.log_refusal("unknown", "unknown_provider")
        raise NotFound("identity provider")
    return provider


async def _finish_staff(
    request: Req, provider: IdentityProvider, claims: dict[str, Any], next_path: str
) -> Response[Any]:
    settings = runtime_of(request).settings
    async with transaction():
        token = await sso.sign_in_staff(provider, claims, settings.session_hours)
    if token is None:
        raise oidc.SignInRefused("no_role", status=403)
    return signed_in(settings, token, next_path)


FinishSignIn = Callable[[Req, IdentityProvider, dict[str, Any], str], Awaitable[Response[Any]]]
# Citizens' strong identification registers its finisher here (core.citizen.views).
SIGN_IN_FINISHERS: dict[str, FinishSignIn] = {"staff": _finish_staff}


class SecondFactorController(Controller):
    """The signed-in user's own second factor: set up with an authenticator app, and recovery
    codes for a lost phone (shown once, kept hashed)."""

    path = SECOND_FACTOR_PATH
    include_in_schema = False
    opt = {"permission": AUTHENTICATED, "second_factor_setup": True}

    @get("/")
    async def show(self, request: Req) -> Template:
        user = require_user(request)
        secret = "" if user.has_second_factor else second_factor.new_secret()
        return await self._page(request, secret, {})

    @post("/")
    async def turn_on(self, request: Req) -> Response[Any]:
        user = require_user(request)
        data = await form_data(request)
        secret = str(data.get("secret", ""))[:64]
        try:
            async with transaction():
                codes = await second_factor.turn_on(
                    user, user.id, secret, str(data.get("code", ""))
                )
        except ValidationFailed as exc:
            return await self._page(request, secret, exc.errors, status=400)
        # Shown in this answer only: the codes are stored hashed and never in a session or URL.
        return await self._page(
            request,
            "",
            {},
            codes=codes,
            notice=N_(
                "The second factor is on. From now on, sign in with a code from your app as well."
            ),
        )

    @post("/recovery-codes")
    async def replace_codes(self, request: Req) -> Response[Any]:
        user = require_user(request)
        data = await form_data(request)
        if not user.has_second_factor:
            return Redirect(path=SECOND_FACTOR_PATH)
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("New recovery codes"),
                message=N_("Your earlier recovery codes stop working. Save the new ones."),
                action=f"{SECOND_FACTOR_PATH}/recovery-codes",
                fields=data,
                confirm_label=N_("Make new codes"),
                cancel_href=SECOND_FACTOR_PATH,
            )
        async with transaction():
            codes = await second_factor.replace_recovery_codes(user, user.id)
        return await self._page(
            request, "", {}, codes=codes, notice=N_("New recovery codes were made.")
        )

    async def _page(
        self,
        request: Req,
        secret: str,
        errors: dict[str, str],
        status: int = 200,
        codes: list[str] | None = None,
        notice: str = "",
    ) -> Template:
        user = require_user(request)
        uri = second_factor.provisioning_uri(secret, user.username) if secret else ""
        required = user.second_factor_required or second_factor.required_for(
            user.role_codes, runtime_of(request).settings.totp_roles
        )
        return render(
            request,
            "identity/second_factor.html",
            status_code=status,
            secret=secret,
            uri=uri,
            errors=errors,
            required=required,
            codes=codes or [],
            notice=notice,
            is_on=user.has_second_factor or bool(codes),
            unused_codes=await second_factor.unused_recovery_codes(user.id),
        )


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
            user = parse_form(
                NewUserForm, data, choices=self._role_choices(request),
                errors=password_errors(data, required=True),
            )  # fmt: skip
            async with transaction():
                user_id = await services.create_user(
                    require_user(request),
                    username=user.username,
                    full_name=user.full_name,
                    password=str(data.get("password") or ""),
                    role_codes=user.roles,
                    email=user.email,
                    language=user.language,
                )
        except ValidationFailed as exc:
            return self._user_form(request, {**data, "roles": roles}, exc.errors, 400)
        return redirect_with_notice(f"/admin/users/{user_id}", N_("The user was created."))

    @get("/users/{user_id:int}")
    async def edit_user(self, request: Req, user_id: int) -> Template:
        return self._user_form(request, await services.get_user(user_id))

    @post("/users/{user_id:int}")
    async def update_user(self, request: Req, user_id: int) -> Response[Any]:
        data = await form_data(request)
        roles = as_list(data.get("roles"))
        try:
            user = parse_form(
                UserForm, data, choices=self._role_choices(request),
                errors=password_errors(data, required=False),
            )  # fmt: skip
            async with transaction():
                await services.update_user(
                    require_user(request),
                    user_id,
                    int_field(data, "version"),
                    full_name=user.full_name,
                    email=user.email,
                    language=user.language,
                    is_active=user.is_active,
                    role_codes=user.roles,
                    new_password=str(data.get("password") or ""),
                )
        except ValidationFailed as exc:
            stored = await services.get_user(user_id)
            return self._user_form(request, {**stored, **data, "roles": roles}, exc.errors, 400)
        except VersionConflict as exc:
            return render_conflict(
                request,
                exc,
                f"/admin/users/{user_id}",
                ["full_name", "email", "language", "is_active", "roles"],
            )
        return redirect_with_notice(f"/admin/users/{user_id}", N_("The user's details were saved."))

    @post("/users/{user_id:int}/second-factor/reset")
    async def reset_second_factor(self, request: Req, user_id: int) -> Response[Any]:
        """For a user who lost their phone and recovery codes; asks first."""
        data = await form_data(request)
        user = await services.get_user(user_id)
        if not is_confirmed(data):
            return render_confirmation(
                request,
                title=N_("Reset the second factor"),
                message=N_(
                    "%(name)s is signed out and must set up the second factor again at their "
                    "next sign-in. Do this only after making sure who is asking."
                ),
                action=f"/admin/users/{user_id}/second-factor/reset",
                fields=data,
                confirm_label=N_("Reset the second factor"),
                cancel_href=f"/admin/users/{user_id}",
                name=user["full_name"],
            )
        async with transaction():
            await second_factor.reset(require_user(request), user_id)
        return redirect_with_notice(
            f"/admin/users/{user_id}", N_("The user's second factor was reset.")
        )

    @staticmethod
    def _role_choices(request: Req) -> dict[str, list[str]]:
        return {"roles": [role.code for role in runtime_of(request).roles]}

    def _user_form(
        self,
        request: Req,
        user: dict[str, Any],
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        return render(
            request,
            "identity/user_form.html",
            status_code=status,
            user=user,
            errors=errors or {},
            roles=runtime_of(request).roles,
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
    async def edit_role(self, request: Req, role_id: int) -> Template:
        return await self._role_page(request, role_id)

    @staticmethod
    async def _role_page(
        request: Req,
        role_id: int,
        submitted: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
    ) -> Template:
        """The role's form; 400 with the submitted choices kept when it was refused."""
        role = next((r for r in await services.list_roles() if r["id"] == role_id), None)
        if role is None:
            raise NotFound(f"role {role_id}")
        if submitted is not None:
            chosen = as_list(submitted.get("permissions"))
            second = bool(submitted.get("requires_second_factor"))
            role = {**role, "permissions": chosen, "requires_second_factor": second}
        return render(
            request,
            "identity/role_form.html",
            status_code=400 if errors else 200,
            role=role,
            errors=errors or {},
            permissions=runtime_of(request).permissions,
        )

    @post("/roles/{role_id:int}")
    async def update_role(self, request: Req, role_id: int) -> Response[Any]:
        data = await form_data(request)
        runtime = runtime_of(request)
        try:
            role = parse_form(
                RoleForm, data, choices={"permissions": list(runtime.permission_codes)}
            )
            async with transaction():
                await services.update_role_permissions(
                    require_user(request),
                    role_id,
                    int_field(data, "version"),
                    role.permissions,
                    runtime.permission_codes,
                    requires_second_factor=role.requires_second_factor,
                )
        except ValidationFailed as exc:
            return await self._role_page(request, role_id, data, exc.errors)
        except VersionConflict as exc:
            return render_conflict(
                request,
                exc,
                f"/admin/roles/{role_id}",
                ["permissions", "requires_second_factor"],
            )
        return redirect_with_notice(
            f"/admin/roles/{role_id}", N_("The role's settings were saved.")
        )

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
    version: int  # send it back with PUT; a stale one is a 409


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
            for k in (
                "id",
                "username",
                "full_name",
                "email",
                "language",
                "is_active",
                "roles",
                "version",
            )
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
    async def get_user(self, user_id: RecordId) -> UserOut:
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
    async def update_user(self, request: Req, user_id: RecordId, data: UserUpdate) -> UserOut:
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
