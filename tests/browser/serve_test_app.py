"""Serve the app for browser tests: `python -m tests.browser.serve_test_app PORT DATABASE_URL
VAR_DIR` (plugins and theme in the environment, see `valvomo.testing.serve_in_process`); with
VALVOMO_TEST_BROKER_ISSUER set, a local OIDC provider is the citizens' identification broker."""

from __future__ import annotations

import os
from dataclasses import replace

from core.config import IdentityProvider, IdentitySettings
from valvomo.testing.serve import serve, settings_from_arguments

# The issuer of a local OIDC provider serving as the citizens' identification broker.
BROKER_VARIABLE = "VALVOMO_TEST_BROKER_ISSUER"


def citizen_broker(issuer: str) -> IdentityProvider:
    from tests.citizens import broker

    return broker(issuer)


def main() -> None:
    port, settings = settings_from_arguments()
    if broker := os.environ.get(BROKER_VARIABLE):
        settings = replace(
            settings,
            public_base_url=f"http://127.0.0.1:{port}",
            identity=IdentitySettings(providers=(citizen_broker(broker),)),
        )
    serve(settings, port)


if __name__ == "__main__":
    main()
