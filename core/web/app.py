"""The application factory: plugins, database, templates and routes composed into Litestar."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.datastructures import State
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from core.audit.views import AccessLogPages, AuditApi
from core.billing.price_views import FeeDecisionPages, PayerPages, PricePages
from core.billing.views import BillingApi, BillingPages
from core.citizen.middleware import CitizenSessionMiddleware
from core.citizen.staff_views import ProxyPages
from core.citizen.views import CitizenPages
from core.common import log_privacy
from core.config import Settings
from core.customers.views import CustomerApi, CustomerPages
from core.identity.guards import (
    CSRF_COOKIE,
    RequestLanguage,
    SessionMiddleware,
    permission_guard,
)
from core.identity.views import (
    SecondFactorController,
    SessionController,
    SingleSignOnController,
    UserAdminController,
    UserApi,
)
from core.notifications.views import NotificationApi, NotificationPages
from core.operations.health import HealthController
from core.operations.metrics import mark_process_dead
from core.operations.observe import MetricsController, RequestObservation
from core.plugins.checks import check_route_access, check_template_shadowing
from core.situation.views import document_api_choices
from core.tasks.views import TaskApi, TaskPages
from core.web.errors import EXCEPTION_HANDLERS
from core.web.notices import NoticeMiddleware
from core.web.openapi import document_error_responses
from core.web.ratelimit import rate_limit_guard
from core.web.runtime import Runtime, build_runtime
from core.web.security import (
    AllowedHostsMiddleware,
    SecurityHeadersMiddleware,
    TrustedProxyMiddleware,
)
from core.web.templates import CORE_TEMPLATE_DIRS, THEMES_DIR, build_environment, static_dirs
from core.web.views import DashboardPages

MAX_BODY_BYTES = 2 * 1024 * 1024
CORE_HANDLERS: list[Any] = [
    SessionController, SingleSignOnController, SecondFactorController, UserAdminController,
    UserApi, CustomerPages, CustomerApi, AccessLogPages, AuditApi, TaskPages, TaskApi,
    DashboardPages, BillingPages, BillingApi, NotificationPages, NotificationApi,
    HealthController, MetricsController, PricePages, FeeDecisionPages, PayerPages, CitizenPages,
    ProxyPages,
]  # fmt: skip


async def access_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The permission check, then the rate limit, as one guard: Litestar copies the route
    handler for each guard on every request."""
    await permission_guard(connection, handler)
    await rate_limit_guard(connection, handler)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Litestar:
    log_privacy.install()
    runtime = runtime or build_runtime(settings)
    env = build_environment(runtime.settings, runtime.host)
    static = create_static_files_router(
        path="/static",
        directories=list[Any](static_dirs(runtime.settings)),
        opt={"public": True},
        name="static",
    )
    app = Litestar(
        route_handlers=[*CORE_HANDLERS, static, *runtime.host.collect("valvomo_route_handlers")],
        guards=[access_guard],
        middleware=[
            DefineMiddleware(SecurityHeadersMiddleware, settings=runtime.settings),
            DefineMiddleware(AllowedHostsMiddleware, settings=runtime.settings),
            DefineMiddleware(TrustedProxyMiddleware, settings=runtime.settings),
            DefineMiddleware(SessionMiddleware),
            DefineMiddleware(CitizenSessionMiddleware),
            DefineMiddleware(
                NoticeMiddleware,
                secret=runtime.settings.secret,
                secure=runtime.settings.cookies_secure,
            ),
        ],
        csrf_config=CSRFConfig(
            secret=runtime.settings.secret,
            cookie_name=CSRF_COOKIE,
            cookie_secure=runtime.settings.cookies_secure,
        ),
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(env)),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Valvomo API",
            version="0.1.0",
            path="/api/schema",
            render_plugins=[SwaggerRenderPlugin()],
            openapi_router=Router(path="/api/schema", route_handlers=[], opt={"public": True}),
        ),
        on_startup=[runtime.database.start],
        on_shutdown=[runtime.database.stop, mark_process_dead],
        state=State({"valvomo": runtime}),
        request_max_body_size=MAX_BODY_BYTES,
        logging_config=None,
        debug=False,
    )
    document_error_responses(app)
    document_api_choices(app, runtime)
    check_template_shadowing(
        runtime.host, [THEMES_DIR / "default" / "templates", *CORE_TEMPLATE_DIRS]
    )
    check_route_access(app, runtime.host)
    app.asgi_handler = RequestObservation(RequestLanguage(app.asgi_handler), runtime.database)
    return app
