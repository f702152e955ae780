"""A third-party plugin's figure appears in the situational picture without core changes."""

from __future__ import annotations

from pathlib import Path

import httpx

from core.common.clock import today
from core.plugins import BillingPeriod
from core.web.app import build_runtime, create_app
from core.web.runtime import Runtime
from tests import database
from tests.core.situation.scenario import compute
from tests.core.test_plugins import settings_with, site_dir  # noqa: F401  (the fixture)
from tests.helpers import make_user, sign_in
from tests.plugins.security_phones.factories import new_customer


async def test_hello_plugin_adds_a_figure_to_the_page(
    site_dir: Path,  # noqa: F811
    runtime: Runtime,
    tmp_path: Path,
) -> None:
    url = await database.create_database(tmp_path)
    hello_runtime = build_runtime(settings_with(runtime, url, tmp_path, hello={}))  # type: ignore[arg-type]
    await hello_runtime.database.start()
    try:
        await hello_runtime.migrate()
        from valvomo_hello.tables import HelloNote  # type: ignore[import-not-found]

        customers = [await new_customer("Lapua") for _ in range(6)]
        await HelloNote.insert(*[HelloNote(customer_id=c, text="hei") for c in customers])
        month = BillingPeriod(today().year, today().month)
        await compute(hello_runtime, month, names=("hello.notes",))
        app = create_app(runtime=hello_runtime)
        transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 1))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver.local", follow_redirects=True
        ) as client:
            await sign_in(client, await make_user("leader"))
            page = await client.get("/situation/?municipality=Lapua")
            assert page.status_code == 200
            assert "Greeting notes" in page.text
            row = page.text.split("Greeting notes", 1)[1].split("</tr>", 1)[0]
            assert ">6<" in row
    finally:
        await hello_runtime.database.stop()
        runtime.activate()
        await database.drop_database(url)
