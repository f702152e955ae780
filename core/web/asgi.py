"""ASGI entry point for `uvicorn core.web.asgi:app` (and `valvomo serve`)."""

from core.web.app import create_app

app = create_app()
