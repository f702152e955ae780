"""The `valvomo` command."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from core.config import ConfigError, load_settings
from core.operations.commands import register as register_operations_commands
from core.plugins.commands import register as register_developer_commands
from core.plugins.host import PluginError, installed_plugins
from core.web.runtime import Runtime, audit_key_path

console = Console()
T = TypeVar("T")


_runtime: Runtime | None = None


def load_runtime() -> Runtime:
    """Settings, plugins and database of this installation, loaded once per command."""
    global _runtime
    if _runtime is None:
        from core.web.runtime import build_runtime  # not core.web.app: no routes for a command

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


class FullHelpGroup(click.Group):
    """Lists each command with its whole first sentence instead of cutting it at "..."."""

    group_class = type  # subgroups (`audit`, the plugins' groups) list theirs the same way

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=FullHelpGroup)
@click.version_option(package_name="valvomo", message="valvomo %(version)s")
def cli() -> None:
    """Valvomo: home-care remote and support services of a wellbeing region."""


@cli.command()
def migrate() -> None:
    """Create or update the database schema of core and the enabled plugins."""
    from core.operations.readiness import applied_migrations

    runtime = load_runtime()

    async def migrate_and_list() -> list[tuple[str, str]]:
        before = await applied_migrations()
        await runtime.migrate()
        return sorted(await applied_migrations() - before)

    applied = run_with_database(runtime, migrate_and_list)
    for app_name, migration_id in applied:
        console.print(f"  applied {app_name} {migration_id}")
    summary = f"{len(applied)} migrations applied" if applied else "no migrations were pending"
    console.print(f"Database is up to date: {summary} ({_safe_url(runtime.database.url)}).")
    check_start_up(runtime)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="App processes (stateless).")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web application."""
    from core.operations.logs import configure_logging
    from core.operations.process import port_problem
    from core.web.serving import serve as serve_app

    runtime = load_runtime()  # fail early with a clear message about plugins or configuration
    check_start_up(runtime)
    if problem := port_problem(host, port):
        console.print(f"[bold red]Cannot serve on {host}:{port}:[/] {problem}. "
                      "Stop the other program or choose another --port.")  # fmt: skip
        sys.exit(1)
    configure_logging(runtime.settings.operations.log_format)
    serve_app(
        "core.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # X-Forwarded-For only from [web] trusted_proxies, in the app
        log_config=None,
        access_log=False,  # core.operations.observe logs each request without its query
        timeout_graceful_shutdown=30,  # SIGTERM: finish the requests in flight, then stop
    )


def check_start_up(runtime: Runtime) -> None:
    """The checks of the web app's start-up (templates, routes, tables against migrations),
    reported in one line naming the plugin instead of a traceback from the server."""
    from core.plugins.checks import check_schema
    from core.plugins.tooling import use_for_piccolo
    from core.web.app import create_app

    try:
        create_app(runtime=runtime)
        use_for_piccolo(runtime.database)
        run_with_database(runtime, lambda: check_schema(runtime.host))
    except PluginError as exc:
        console.print(f"[bold red]Valvomo cannot start:[/] {exc}", highlight=False)
        sys.exit(2)


@cli.command()
@click.option("--once", is_flag=True, help="Send every message due now, then exit.")
@click.option("--batch", type=click.IntRange(1, 1000), help="Messages claimed at a time.")
def worker(once: bool, batch: int | None) -> None:
    """Send due SMS and e-mail messages from the outbox and keep the situational picture's
    figures current (stop with Ctrl-C or SIGTERM)."""
    from core.operations.logs import configure_logging

    runtime = load_runtime()
    if not once:
        configure_logging(runtime.settings.operations.log_format)
        console.print("Sending due messages from the outbox; stop with Ctrl-C or SIGTERM.")
    claimed = run_with_database(runtime, lambda: _worker_jobs(runtime, once, batch))
    if once:
        console.print(f"Handled {claimed} due messages.")


async def _worker_jobs(runtime: Runtime, once: bool, batch: int | None) -> int:
    """The outbox worker and, while it runs on, the refresh of the situational picture's
    figures every few minutes (`valvomo situation refresh` does one round by hand)."""
    from core.notifications.worker import run_worker
    from core.situation.refresh import refresh_forever

    if once:
        return await run_worker(runtime, once=True, batch_size=batch)
    refresher = asyncio.create_task(refresh_forever(runtime.host, runtime.settings))
    try:
        return await run_worker(runtime, once=False, batch_size=batch)
    finally:
        # Awaited, so a refresh cut short gives its connection back before the pool closes.
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher


@cli.command()
def cleanup() -> None:
    """Delete expired sessions, old login attempts and spent rate-limit counters."""
    from core.housekeeping import cleanup as run_cleanup

    runtime = load_runtime()
    days = runtime.settings.login_attempt_days
    result = run_with_database(runtime, lambda: run_cleanup(days))
    console.print(
        f"Deleted {result.sessions} expired sessions, {result.login_attempts} login attempts "
        f"older than {days} days and {result.rate_counters} spent rate-limit counters."
    )


@cli.command()
@click.option("--customers", default=1500, show_default=True)
@click.option("--reset", is_flag=True, help="Delete the demo database and load it again.")
@click.option("--no-serve", is_flag=True, help="Only load the data.")
@click.option("--port", default=8000, show_default=True)
def demo(customers: int, reset: bool, no_serve: bool, port: int) -> None:
    """Create the database, load realistic demo data, print the logins and serve."""
    from core.demo import DEMO_PASSWORD, demo_logins, load_demo
    from core.identity.tables import StaffUser
    from core.operations.process import port_problem

    if not no_serve and (problem := port_problem("127.0.0.1", port)):
        console.print(f"[bold red]Port {port} is taken:[/] {problem}. Try --port {port + 1}.")
        sys.exit(1)
    os.environ["VALVOMO_DEVELOPMENT"] = "1"  # plain http on this machine: no Secure cookies
    global _runtime
    _runtime = None
    runtime = load_runtime()
    db_url = runtime.database.url
    if reset and db_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(db_url[len("sqlite:///") :] + suffix).unlink(missing_ok=True)

    async def prepare() -> None:
        await runtime.migrate()
        if await StaffUser.count() == 0:
            with console.status("Loading demo data…") as status:
                started = time.monotonic()

                def show(step: str) -> None:
                    elapsed = time.monotonic() - started
                    console.print(f"  loading {step} … ({elapsed:.0f} s)")
                    status.update(f"Loading {step}…")

                summary = await load_demo(runtime, customers=customers, progress=show)
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
    from core.plugins.host import PluginHost

    settings = load_settings()
    failure: PluginError | None = None
    try:
        PluginHost(settings)  # loads and configures the enabled plugins, as start-up does
    except PluginError as exc:
        failure = exc
    table = Table(title="Valvomo plugins")
    for column in ("name", "version", "package", "enabled"):
        table.add_column(column)
    for plugin in installed_plugins(settings.enabled_plugins):
        state = "yes" if plugin.enabled else "no"
        if failure is not None and failure.plugin == plugin.name:
            state = "FAILED"
        table.add_row(plugin.name, plugin.version, plugin.distribution, state)
    console.print(table)
    if failure is not None:
        console.print(f"[bold red]Failed:[/] {failure}", highlight=False)
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
@click.option(
    "--checkpoints", "check_points", is_flag=True, help="Also compare with signed checkpoints."
)
@click.option("--file", "checkpoint_file", type=click.Path(dir_okay=False), help="Checkpoints.")
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Check checkpoint signatures with this public key (from `audit public-key`).",
)
def verify_audit(
    check_points: bool, checkpoint_file: str | None, public_key_file: str | None
) -> None:
    """Check every entry's MAC and the seal chain (and the checkpoints kept outside)."""
    from core.audit.sealing import verify_chain, verify_checkpoints
    from core.audit.signing import load_public_key

    runtime = load_runtime()
    if public_key_file:
        public_key = load_public_key(Path(public_key_file))
    else:
        public_key = _signing_key(runtime).public_key()

    async def verify() -> tuple[Any, list[Any], int]:
        report, problems = await verify_chain()
        points = 0
        if check_points:
            source = Path(checkpoint_file) if checkpoint_file else _checkpoint_path(runtime)
            points, more = await verify_checkpoints(source, public_key)
            problems += more
        return report, problems, points

    report, problems, points = run_with_database(runtime, verify)
    for problem in problems:
        console.print(f"[red]seal {problem.seq}:[/] {problem.problem}")
    summary = (
        f"{report.checked} entries checked, {report.sealed} sealed, {report.unsealed} waiting "
        f"for a seal, {report.unkeyed} from before keyed MACs"
        + (f", {points} checkpoints compared" if check_points else "")
        + (f"; the first {report.pruned} deleted by retention" if report.pruned else "")
    )
    if problems:
        console.print(f"[bold red]Audit log is NOT intact[/] ({summary}).")
        sys.exit(1)
    console.print(f"Audit log intact: {summary}.")


@audit.command("seal")
def seal_audit() -> None:
    """Chain the audit entries written since the last seal (the worker does this too)."""
    from core.audit.sealing import seal_all

    runtime = load_runtime()
    console.print(f"Sealed {run_with_database(runtime, seal_all)} entries.")


@audit.command("checkpoint")
@click.option("--to", "target", type=click.Path(dir_okay=False), help="Append here instead.")
def checkpoint_audit(target: str | None) -> None:
    """Seal pending entries and append the signed chain head to the checkpoint file."""
    from core.audit.sealing import write_checkpoint

    runtime = load_runtime()
    path = Path(target) if target else _checkpoint_path(runtime)
    key = _signing_key(runtime)
    point = run_with_database(runtime, lambda: write_checkpoint(path, key))
    console.print(f"Checkpoint at seal {point['seq']} appended to {path}.")


@audit.command("public-key")
def audit_public_key() -> None:
    """Print the public key that checks checkpoint signatures (hand it to auditors)."""
    from core.audit.signing import public_key_pem

    click.echo(public_key_pem(_signing_key(load_runtime())), nl=False)


@audit.command("new-key")
def new_audit_key() -> None:
    """Add a new audit key to the key file and seal with it from now on (rotation)."""
    from core.audit.keys import add_key

    runtime = load_runtime()
    key_id = add_key(audit_key_path(runtime.settings))
    console.print(f"Added audit key {key_id}; restart the app and the worker to use it.")


@audit.command("grants")
@click.option("--role", required=True, help="The application's PostgreSQL role.")
def audit_grants(role: str) -> None:
    """Print the SQL that lets the app's PostgreSQL role only insert into the audit tables."""
    from core.audit.grants import grants_sql

    runtime = load_runtime()
    click.echo(grants_sql(role, [t._meta.tablename for t in runtime.database.tables()]))


def _signing_key(runtime: Runtime) -> Any:
    from core.audit.signing import load_signing_key

    settings = runtime.settings
    return load_signing_key(
        settings.audit_signing_key_file or settings.var_dir / "audit-signing.pem"
    )


def _checkpoint_path(runtime: Runtime) -> Path:
    settings = runtime.settings
    return settings.audit_checkpoint_file or settings.var_dir / "audit-checkpoints.jsonl"


def _share_metrics_dir() -> None:
    from core.operations.process import share_metrics_dir

    try:
        share_metrics_dir(load_settings().var_dir)
    except ConfigError:
        pass  # load_runtime reports it


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, location = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}@{location}"
    return url


register_operations_commands(cli)
register_developer_commands(cli)


def main(argv: list[str] | None = None) -> Any:
    from core.common import log_privacy

    log_privacy.install()
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["serve"], ["worker"], ["demo"]):
        _share_metrics_dir()
    if args[:1] not in (["plugins"], ["new-plugin"]):
        load_runtime().host.hook.valvomo_cli_commands(cli=cli)
    return cli.main(args=args)


if __name__ == "__main__":
    main()
