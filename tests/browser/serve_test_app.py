"""Serve the app for browser tests on the database the test session prepared.

Run as a separate process: `python -m tests.browser.serve_test_app PORT DATABASE_URL VAR_DIR`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from core.web.app import create_app
from tests.conftest import settings_for_tests


def main() -> None:
    port, database_url, var_dir = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    app = create_app(settings_for_tests(database_url, var_dir))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
