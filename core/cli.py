"""The `valvomo` command."""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from core.config import ConfigError, load_settings
from core.plugins.host import PluginError, installed_plugins
from core.web.runtime import Runtime

console = Console()
T = TypeVar("T")


_runtime: Runtime | None = None


def load_runtime() -> Runtime:
    """Settings, plugins and database of this installation, loaded once per command."""
    global _runtime
    if _runtime is None:
        from core.web.app import build_runtime

        try:
            _runtime = build_runtime(load_settings())
        except (PluginError, ConfigError) as exc:
            console.print(f"[bold red]Valvomo cannot start:[/] {exc}")
            sys.exit(2)
    return _runtime


def run_with_database(runtime: Runtime, work: Callable[[], Awaitable[T]]) -> T:
    async def wrapped() -> T:
        await runtime.database.start()
        try:
            return await work()
        finally:
            await runtime.database.stop()

    return asyncio.run(wrapped())


@click.group()
def cli() -> None:
    """Valvomo: home-care remote and support services of a wellbeing region."""


@cli.command()
def migrate() -> None:
    """Create or update the database schema of core and the enabled plugins."""
    runtime = load_runtime()
    run_with_database(runtime, runtime.migrate)
    console.print(f"Database is up to date ({_safe_url(runtime.database.url)}).")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="App processes (stateless).")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web application."""
    import uvicorn

    load_runtime()  # fail early with a clear message about plugins or configuration
    uvicorn.run("core.web.asgi:app", host=host, port=port, workers=workers, proxy_headers=True)


@cli.command()
@click.option("--once", is_flag=True, help="Send every message due now, then exit.")
@click.option("--batch", type=click.IntRange(1, 1000), help="Messages claimed at a time.")
def worker(once: bool, batch: int | None) -> None:
    """Send due SMS and e-mail messages from the outbox (stop with Ctrl-C or SIGTERM)."""
    from core.notifications.worker import run_worker

    runtime = load_runtime()
    if not once:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        console.print("Sending due messages from the outbox; stop with Ctrl-C or SIGTERM.")
    claimed = run_with_database(runtime, lambda: run_worker(runtime, once=once, batch_size=batch))
    if once:
        console.print(f"Handled {claimed} due messages.")


@cli.command()
@click.option("--customers", default=1500, show_default=True)
@click.option("--reset", is_flag=True, help="Delete the demo database and load it again.")
@click.option("--no-serve", is_flag=True, help="Only load the data.")
@click.option("--port", default=8000, show_default=True)
def demo(customers: int, reset: bool, no_serve: bool, port: int) -> None:
    """Create the database, load realistic demo data, print the logins and serve."""
    from core.demo import DEMO_PASSWORD, demo_logins, load_demo
    from core.identity.tables import StaffUser

    runtime = load_runtime()
    db_url = runtime.database.url
    if reset and db_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(db_url[len("sqlite:///") :] + suffix).unlink(missing_ok=True)

    async def prepare() -> None:
        await runtime.migrate()
        if await StaffUser.count() == 0:
            with console.status("Loading demo data…"):
                summary = await load_demo(runtime, customers=customers)
            console.print(f"Loaded {summary['customers']} demo customers.")
        else:
            console.print("Demo data already loaded (use --reset to load it again).")

    run_with_database(runtime, prepare)
    table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("role")
    for username, role in demo_logins(runtime):
        table.add_row(username, role.label)
    console.print(table)
    if not no_serve:
        console.print(f"Valvomo is at http://127.0.0.1:{port}")
        serve.callback(host="127.0.0.1", port=port, workers=1)  # type: ignore[misc]


@cli.command()
@click.option("--username", prompt=True)
@click.option("--full-name", prompt=True)
@click.option("--role", "roles", multiple=True, help="Role code; repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def createuser(username: str, full_name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff user."""
    from core.audit.services import SystemActor
    from core.common.errors import ValidationFailed
    from core.identity.services import create_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else _ask_password()
    runtime = load_runtime()

    async def create() -> int:
        async with runtime.database.transaction():
            return await create_user(
                SystemActor(full_name="valvomo createuser"),
                username=username,
                full_name=full_name,
                password=password,
                role_codes=list(roles),
            )

    try:
        user_id = run_with_database(runtime, create)
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            console.print(f"[red]{field}:[/] {message}")
        sys.exit(1)
    console.print(f"Created user {username} (id {user_id}).")


def _ask_password() -> str:
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        console.print("[red]The passwords differ.[/]")
        sys.exit(1)
    return first


@cli.command("plugins")
def list_plugins() -> None:
    """List installed plugins, their versions and whether valvomo.toml enables them."""
    settings = load_settings()
    table = Table(title="Valvomo plugins")
    for column in ("name", "version", "package", "enabled"):
        table.add_column(column)
    for plugin in installed_plugins(settings.enabled_plugins):
        table.add_row(
            plugin.name, plugin.version, plugin.distribution, "yes" if plugin.enabled else "no"
        )
    console.print(table)
    unknown = set(settings.enabled_plugins) - {p.name for p in installed_plugins()}
    for name in sorted(unknown):
        console.print(f"[red]Enabled but not installed:[/] {name}")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--path", "parent", default=".", show_default=True, type=click.Path(file_okay=False))
def new_plugin(name: str, parent: str) -> None:
    """Create a new plugin package valvomo-NAME with the standard shape."""
    from core.scaffold import ScaffoldError, create_plugin

    try:
        target = create_plugin(name, Path(parent))
    except ScaffoldError as exc:
        console.print(f"[red]{exc}[/]")
        sys.exit(1)
    console.print(f"Created {target}. Install it with: pip install -e {target}")


@cli.group()
def audit() -> None:
    """The audit and access log."""


@audit.command("verify")
def verify_audit() -> None:
    """Check the hash chain: detects edited, deleted or reordered entries."""
    from core.audit.services import verify_chain

    runtime = load_runtime()
    checked, problems = run_with_database(runtime, verify_chain)
    if problems:
        for problem in problems:
            console.print(f"[red]entry {problem.seq}:[/] {problem.problem}")
        console.print(f"[bold red]Audit log is NOT intact[/] ({checked} entries checked).")
        sys.exit(1)
    console.print(f"Audit log intact: {checked} entries checked.")


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, location = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}@{location}"
    return url


def main(argv: list[str] | None = None) -> Any:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] not in (["plugins"], ["new-plugin"]):
        load_runtime().host.hook.valvomo_cli_commands(cli=cli)
    return cli.main(args=args)


if __name__ == "__main__":
    main()
