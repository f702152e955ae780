"""ASGI entry point for `uvicorn core.web.asgi:app` (and `valvomo serve`, in each worker)."""

from core.config import load_settings
from core.operations.logs import configure_logging
from core.web.app import create_app

settings = load_settings()
configure_logging(settings.operations.log_format)
app = create_app(settings)
