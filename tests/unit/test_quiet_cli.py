"""The server's one-shot commands print what was asked for and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def salesbot(config: Path, *words: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), *words],
                          capture_output=True, text=True, cwd=cwd, timeout=90,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, check=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    made = tmp_path / "config.toml"
    made.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "crm.db"}"\n\n'
                    f'[team]\nadmins = [4242]\n\n[backup]\nfolder = "{tmp_path / "b"}"\n')
    return made


def test_db_upgrade_import_export_and_backup_say_only_their_result(
        config: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "customers.csv"
    sheet.write_text("name,phone,company\n王小明,13812345678,ACME\n", encoding="utf-8")

    upgraded = salesbot(config, "db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.splitlines() == [
        f"database at the newest schema: sqlite+aiosqlite:///{tmp_path / 'crm.db'}"]
    assert upgraded.stderr == ""

    imported = salesbot(config, "import", str(sheet), "--yes", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "1 created" in imported.stdout or "created: 1" in imported.stdout, imported.stdout
    assert imported.stderr == ""

    exported = salesbot(config, "export", "--out", str(tmp_path / "out.xlsx"), cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines() == [
        f"1 customers, 0 timeline entries written to {tmp_path / 'out.xlsx'}"]
    assert exported.stderr == ""

    backed_up = salesbot(config, "backup", cwd=tmp_path)
    assert backed_up.returncode == 0, backed_up.stderr
    assert backed_up.stdout.startswith("backup written: ") and backed_up.stderr == ""
    for run in (upgraded, imported, exported, backed_up):
        assert "Context impl" not in run.stdout + run.stderr
        assert " INFO " not in run.stdout + run.stderr
