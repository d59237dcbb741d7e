"""`salesbot run | console | db upgrade|new-key|encrypt|rekey | backup | restore FILE |
import FILE | export`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot.process import logs
from bot.runtime import workers
from bot.runtime.config import ConfigError, Settings, load_settings
from storage.clock import utcnow
from storage.encryption import EncryptionError, check_opens, new_key
from storage.migrate import MigrationFailed, upgrade, upgrade_apart

DEFAULT_CONFIG = Path("config.toml")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="salesbot", description="A sales team's CRM bot.")
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml if any)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (the console when no token is configured)")
    commands.add_parser("console", help="chat with the bot in this terminal")
    db = commands.add_parser("db", help="database tasks")
    db.add_argument("action", choices=["upgrade", "new-key", "encrypt", "rekey"],
                    help="upgrade: to the newest schema; new-key: print a key for "
                    "database.key; encrypt: encrypt the SQLite file with database.key; "
                    "rekey: change its key to SALESBOT_NEW_DATABASE_KEY (or a line on "
                    "stdin)")
    backup = commands.add_parser("backup", help="back the SQLite database up now")
    backup.add_argument("--new-key", action="store_true",
                        help="print a new encryption key for backup.key and exit")
    restore = commands.add_parser("restore", help="replace the database with a backup "
                                  "(stop the bot first)")
    restore.add_argument("file", type=Path)
    from bot.process.cli_tables import add_commands

    add_commands(commands)
    return parser.parse_args(argv)


ONE_SHOT = ("db", "backup", "restore", "import", "export")


def settings_from(path: Path | None) -> Settings:
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return load_settings(path)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = settings_from(args.config)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    logs.configure(settings.logging.level, settings.logging.format)
    workers.end_after_idle(settings.workers.idle_minutes * 60)
    if args.command in ONE_SHOT and settings.logging.level == "INFO":
        # A one-shot command prints what was asked for and nothing else: Alembic's
        # "Context impl SQLiteImpl" lines and the services' INFO lines belong in the running
        # bot's log. A level set in the config (DEBUG) still shows them.
        logging.getLogger().setLevel(logging.WARNING)
    if args.command == "db" and args.action != "upgrade":
        return encryption_task(args.action, settings)
    try:
        check_opens(settings.database.url)
    except EncryptionError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command in ("backup", "restore"):
        return backup_or_restore(args, settings)
    try:
        upgrade_apart(settings.database.url)
    except MigrationFailed as error:
        print(error, file=sys.stderr)
        return 1
    if args.command in ("import", "export"):
        from bot.process import cli_tables

        run = cli_tables.import_file if args.command == "import" else cli_tables.export_file
        return run(settings, args)
    if args.command == "db":
        print(f"database at the newest schema: {settings.database.shown_url}")
        return 0
    if args.command == "console" or not settings.telegram.token:
        if args.command == "run":
            print("no telegram.token or SALESBOT_TOKEN set: starting the console instead")
        logging.getLogger().setLevel(logging.WARNING)
        from bot.process.transports.console import Console

        asyncio.run(Console(settings).run())
        return 0
    return run_telegram(settings)


def backup_or_restore(args: argparse.Namespace, settings: Settings) -> int:
    from storage import backup

    try:
        if args.command == "restore":
            backup.restore_backup(settings.database.url, args.file, settings.backup.key)
            asyncio.run(upgrade(settings.database.url))  # an older backup: to the newest schema
            print(f"restored {args.file} into {settings.database.shown_url}")
        elif args.new_key:
            print(new_key())
        else:
            made = backup.make_backup(settings.database.url, Path(settings.backup.folder),
                                      keep=settings.backup.keep, key=settings.backup.key,
                                      now=utcnow())
            print(f"backup written: {made}")
    except backup.BackupError as error:
        print(f"{args.command} refused: {error}", file=sys.stderr)
        return 1
    return 0


def encryption_task(action: str, settings: Settings) -> int:
    """`db new-key`, `db encrypt`, `db rekey`: with the bot stopped (its lock is taken)."""
    from storage import encryption
    from storage.database import Database
    from storage.instance import AlreadyRunning, InstanceLock

    if action == "new-key":
        print(encryption.new_key())
        return 0
    key = encryption.key_of(settings.database.url)
    new = ""
    if not key:
        print(f"db {action} refused: set database.key (or SALESBOT_DATABASE_KEY) first; "
              "`salesbot db new-key` makes one", file=sys.stderr)
        return 2
    if action == "rekey":
        new = os.environ.get("SALESBOT_NEW_DATABASE_KEY") or sys.stdin.readline().strip()
    lock = InstanceLock(Database(settings.database.url))
    try:
        asyncio.run(lock.acquire())
        done = encryption.encrypt_in_place(settings.database.url, key,
                                           rekey_to=new if action == "rekey" else None)
    except (EncryptionError, AlreadyRunning) as error:
        print(f"db {action} refused: {error}", file=sys.stderr)
        return 1
    finally:
        asyncio.run(lock.release())
    print(f"{done} is encrypted with the new key: put it in database.key now" if new
          else f"{done} is encrypted with database.key")
    return 0


def run_telegram(settings: Settings) -> int:
    from bot.process.service import serve

    return asyncio.run(serve(settings))
