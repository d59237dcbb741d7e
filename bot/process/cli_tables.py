"""`salesbot import FILE` and `salesbot export` on the server: the same services and the
same preview as in the chat, acting as the first configured admin (or `--as ID`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.messages.errors import error_text
from bot.messages.i18n import translator
from bot.messages.imports import layout_text, preview_text, report_text
from bot.process.transports.fakeapi import html_to_text
from bot.runtime.config import Settings
from bot.tables import exporting, importing
from storage import users
from storage.database import Database
from storage.errors import CrmError
from storage.imports import jobs, writer
from storage.imports.preview import RowOptions
from storage.models import ImportJob
from storage.users import Actor, Profile, actor_for

MB = 1024 * 1024
# A file on the server is no upload: Telegram's 20 MB (imports.max_mb) does not apply, and
# a 1,000,000-row sheet is about 99 MB as CSV, 45 MB as xlsx.
MAX_FILE_MB = 1024


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importer = commands.add_parser("import", help="import customers from .xlsx/.xls/.ods/"
                                   ".csv/.vcf, with the chat's preview")
    importer.add_argument("file", type=Path)
    importer.add_argument("--owner", type=int, help="Telegram id of the member who owns "
                          "rows without an owner column (default: you)")
    importer.add_argument("--sheet", help="the sheet that holds the customers")
    importer.add_argument("--yes", action="store_true", help="import without asking")
    importer.add_argument("--as", dest="as_id", type=int, help="act as this admin's "
                          "Telegram id (default: the first in team.admins)")
    exporter = commands.add_parser("export", help="export customers to .xlsx or .csv")
    exporter.add_argument("filters", nargs="*", help="tag:X tier:core stage:lead owner:NAME "
                          "region:X quiet:DAYS created:FROM..TO")
    exporter.add_argument("--out", type=Path, help="file to write (default: "
                          "customers.xlsx, or .csv with --csv)")
    exporter.add_argument("--csv", action="store_true", help="UTF-8 csv with a BOM")
    exporter.add_argument("--as", dest="as_id", type=int)


async def _admin(database: Database, settings: Settings, as_id: int | None) -> Actor:
    telegram_id = as_id or (settings.team.admins[0] if settings.team.admins else None)
    if telegram_id is None:
        raise SystemExit("no admin: set team.admins in the config or pass --as ID")
    async with database.unit_of_work() as session:
        member = await users.admit(session, Profile(telegram_id, "Admin"),
                                   admin_ids=settings.admin_ids, timezone=settings.team.timezone)
        if member is None:
            raise SystemExit(f"{telegram_id} is not a member of this team")
        return actor_for(member, settings.team.visibility)


def import_file(settings: Settings, args: argparse.Namespace) -> int:
    path: Path = args.file
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 1
    if path.stat().st_size > MAX_FILE_MB * MB:
        print(f"{path} is over {MAX_FILE_MB} MB", file=sys.stderr)
        return 1
    result = asyncio.run(_import_file(settings, args, path))
    if result is None:
        return 1
    target = path.with_name(f"{path.stem}.result.xlsx")
    target.write_bytes(result)
    print(f"row by row: {target}")
    return 0


async def _import_file(settings: Settings, args: argparse.Namespace, path: Path
                       ) -> bytes | None:
    """The result file of a finished import; None when it was refused or not confirmed."""
    database = Database(settings.database.url)
    try:
        return await _import(database, settings, args, path)
    except CrmError as error:
        print(html_to_text(error_text(error, translator("en"))), file=sys.stderr)
        return None
    finally:
        await database.dispose()


async def _import(database: Database, settings: Settings, args: argparse.Namespace,
                  path: Path) -> bytes | None:
    actor = await _admin(database, settings, args.as_id)
    t = translator(actor.language)
    options = RowOptions(settings.team.default_region, actor.timezone,
                         settings.reminders.default_hour, settings.sales.currency)
    async with database.unit_of_work() as session:
        owner = None
        if args.owner is not None:
            found = await users.find_by_telegram_id(session, args.owner)
            if found is None:
                print(f"no member with Telegram id {args.owner}", file=sys.stderr)
                return None
            owner = found.id
        job = await jobs.create_job(session, actor, path.name, path, owner_id=owner)
        jobs.change(job, options=options.__dict__, sheet=args.sheet)
    checked = await importing.check(database, job, options)
    choices = importing.choices_of(job)
    print(html_to_text(layout_text(t, job.file_name, checked.layout)))
    print()
    print(html_to_text(preview_text(t, job.file_name, checked, choices)))
    answer = "y" if args.yes else await asyncio.to_thread(input, "\nImport now? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        async with database.unit_of_work() as session:
            stored = await session.get(ImportJob, job.id)
            assert stored is not None
            await jobs.cancel(session, stored)
        importing.forget(job)
        print("cancelled: nothing was imported")
        return None
    async with database.unit_of_work() as session:
        stored = await session.get(ImportJob, job.id)
        assert stored is not None
        jobs.start(stored, checked.total)

    # A counter rewritten in place, for a person at a terminal; in a pipe or a log it is
    # noise beside the report.
    shown = sys.stderr.isatty()

    async def progress(done: int, total: int) -> None:
        if shown:
            print(f"\r{done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    await importing.write(database, job.id, options, batch=settings.imports.batch,
                          progress=progress)
    if shown:
        print(file=sys.stderr)
    async with database.unit_of_work() as session:
        counts = await writer.counts(session, job.id)
    content, every = await importing.result_file(database, job.id, actor.language)
    print(html_to_text(report_text(t, job.id, job.file_name, counts, every=every)))
    return content


def export_file(settings: Settings, args: argparse.Namespace) -> int:
    exported = asyncio.run(_export(settings, args))
    if exported is None:
        return 1
    content, customers, entries, as_csv = exported
    target: Path = args.out or Path("customers.csv" if as_csv else "customers.xlsx")
    target.write_bytes(content)
    print(f"{customers:,} customers, {entries:,} timeline entries written to {target}")
    return 0


async def _export(settings: Settings, args: argparse.Namespace
                  ) -> tuple[bytes, int, int, bool] | None:
    database = Database(settings.database.url)
    try:
        try:
            actor = await _admin(database, settings, args.as_id)
            request = exporting.parse_request(" ".join(args.filters),
                                              ZoneInfo(actor.timezone))
        except CrmError as error:
            print(html_to_text(error_text(error, translator("en"))), file=sys.stderr)
            return None
        as_csv = args.csv or request.csv
        content, customers, entries = await exporting.export_file(
            database, actor, request.filters, region=settings.team.default_region,
            as_csv=as_csv)
    finally:
        await database.dispose()
    return content, customers, entries, as_csv
