"""Serve the app for browser tests on the database the test session prepared:
`python -m valvomo.testing.serve PORT DATABASE_URL VAR_DIR` (plugins and theme in the
environment, see `valvomo.testing.serve_in_process`)."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import uvicorn

from core.config import Settings
from core.web.app import create_app
from valvomo.testing import settings_for_tests


def settings_from_arguments() -> tuple[int, Settings]:
    """The port and the test settings given on the command line and in the environment."""
    port, database_url, var_dir = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    chosen = os.environ.get("VALVOMO_TEST_SERVE_PLUGINS")  # None: those of valvomo.toml
    plugins = None if chosen is None else tuple(p for p in chosen.split(",") if p)
    theme = os.environ.get("VALVOMO_TEST_SERVE_THEME", "default")
    settings = settings_for_tests(database_url, var_dir, plugins=plugins)
    return port, replace(settings, theme=theme)


def serve(settings: Settings, port: int) -> None:
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    port, settings = settings_from_arguments()
    serve(settings, port)


if __name__ == "__main__":
    main()
