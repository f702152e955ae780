"""The restore drill: `valvomo backup`, `valvomo restore` into a fresh database, and
`valvomo audit verify` passing on it, on the database this session runs on."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.audit.tables import AuditEntry
from core.db import transaction
from core.notifications.services import queue_message
from core.web.runtime import Runtime
from tests import database
from tests.core.operations.cli import valvomo
from tests.helpers import make_user


async def test_a_backup_restores_into_a_fresh_database_whose_audit_log_verifies(
    runtime: Runtime, tmp_path: Path
) -> None:
    await make_user("admin")
    await make_user("client_guidance")
    async with transaction():
        await queue_message(channel="sms", recipient="040 765 4321", body="Muistutus")
    entries = await AuditEntry.count()
    assert entries > 0

    # The audit keys live outside the database: a restore needs them from their own backup.
    shutil.copy(runtime.settings.var_dir / "audit.keys", tmp_path / "audit.keys")
    made = valvomo(runtime.database.url, tmp_path, "backup", "--to", str(tmp_path / "backups"))
    assert made.returncode == 0, made.stdout + made.stderr
    (backup_file,) = (tmp_path / "backups").iterdir()
    assert oct(backup_file.stat().st_mode & 0o777) == "0o600"

    fresh = (
        f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        if database.backend() == "sqlite"
        else await database.create_database(tmp_path)
    )
    try:
        restored = valvomo(fresh, tmp_path, "restore", str(backup_file), "--database-url", fresh)
        assert restored.returncode == 0, restored.stdout + restored.stderr

        verified = valvomo(fresh, tmp_path, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert f"Audit log intact: {entries} entries checked" in verified.stdout

        again = valvomo(fresh, tmp_path, "restore", str(backup_file), "--database-url", fresh)
        assert again.returncode == 1
        assert "Restore failed" in again.stdout
    finally:
        await database.drop_database(fresh)
