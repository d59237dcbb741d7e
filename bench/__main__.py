"""`make bench`: the speed targets, written into docs/performance.md.

Targets (issue "Foundation"): with 100,000 customers, search p99 < 20 ms for name,
pinyin-initials, phone-suffix and company queries; an add-flow step < 10 ms median
through the in-process fake; RSS of the running bot < 150 MB. Reminder and date targets:
bench/reminders.py; the stale scan: bench/stale.py; imports and exports: bench/imports.py.
Set SALESBOT_BENCH_DATABASE_URL to a scratch PostgreSQL database (emptied and filled by
the run) to measure PostgreSQL as well.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
from sqlalchemy import insert, text

from bench import (
    cards,
    dates,
    encrypted,
    failover,
    footprint,
    imports,
    logs,
    miniapp,
    receivables,
    reminders,
    sales,
    stale,
    steering,
    surveys,
    updates,
)
from bench.stats import percentile
from storage.database import Database
from storage.dedupe import duplicate_groups
from storage.migrate import upgrade
from storage.models import ContactPoint, Customer, Tag, User, customer_tags
from storage.search.lookup import (
    build_search_text,
    customers_mentioned,
    insert_customers,
    search_customers,
)
from storage.search.names import pinyin_initials, pinyin_key, syllables
from storage.users import Visibility, actor_for

CUSTOMERS = int(os.environ.get("SALESBOT_BENCH_CUSTOMERS", "100000"))
# `make bench-large` (1,000,000 customers) reports in sections of its own.
SIZE = "" if CUSTOMERS == 100_000 else f"-{CUSTOMERS}"
LOOKUP_P99_MS = 5 if CUSTOMERS <= 100_000 else 20
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英小晓华建国志红文辉玉珍鹏飞宇浩然子涵"
WORDS = ["Acme", "Star", "Sino", "Global", "Pacific", "Dragon", "Golden", "Bright", "Union",
         "Prime", "Delta", "Orient", "Harbor", "Summit", "Crystal", "Lotus", "Jade", "Phoenix"]
KINDS = ["Trading", "Tech", "Logistics", "Foods", "Medical", "Motors", "Textiles", "Capital"]
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "西安", "苏州"]
REPORT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


TAGS = ["vip", "expo2026", "referral", "wechat-lead", "reseller", "oem", "government",
        "school", "hospital", "retail", "export", "key-account", "renewal", "trial", "partner",
        "cold", "warm", "hot", "event", "inbound"]


def fake_customers(n: int, seed: int = 7) -> list[Customer]:
    """Names, phones, companies and cities as before; an email for 2 in 3 and a tag for 1
    in 2 drawn from a second generator, so the first draws as it always has."""
    rng, extra = random.Random(seed), random.Random(seed + 1)
    people = []
    for i in range(1, n + 1):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"+861{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        customer = Customer(
            id=i, name=name, company=f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i % 997}",
            region=rng.choice(CITIES), tier="normal", stage="lead", archived=False,
        )
        customer.contacts = [ContactPoint(kind="phone", value=phone)]
        if extra.random() < 2 / 3:
            mailbox = f"{pinyin_key(name)}{i}@{extra.choice(WORDS).lower()}.com"
            customer.contacts.append(ContactPoint(kind="email", value=mailbox))
        customer.tags = [Tag(name=extra.choice(TAGS))] if extra.random() < 0.5 else []
        people.append(customer)
    return people


async def seed(db: Database, people: list[Customer]) -> None:
    """Into emptied tables: on PostgreSQL the bench database outlives a run (a second run
    met the first one's bench user and stopped)."""
    await reminders.empty(db)
    now = datetime.now(UTC)
    async with db.unit_of_work() as session:
        session.add(User(id=1, telegram_id=1, display_name="Bench", role="admin"))
        await session.execute(insert(Tag), [{"id": i, "name": t} for i, t in enumerate(TAGS, 1)])
        tag_ids = {t: i for i, t in enumerate(TAGS, 1)}
        await session.flush()
        for start in range(0, len(people), 5000):
            chunk = people[start:start + 5000]
            await insert_customers(session, [
                {"id": c.id, "name": c.name, "name_pinyin": pinyin_key(c.name),
                 "name_initials": pinyin_initials(c.name),
                 "company": c.company, "region": c.region, "tier": "normal", "stage": "lead",
                 "owner_id": 1, "created_at": now, "updated_at": now, "archived": False,
                 "search_text": build_search_text(c)} for c in chunk])
            await session.execute(insert(ContactPoint), [
                {"customer_id": c.id, "kind": p.kind, "value": p.value, "created_at": now}
                for c in chunk for p in c.contacts])
            await session.execute(insert(customer_tags), [
                {"customer_id": c.id, "tag_id": tag_ids[t.name]} for c in chunk for t in c.tags])
        if db.dialect == "postgresql":
            await session.execute(text("SELECT setval('customers_id_seq', :n)"),
                                  {"n": len(people)})
    if db.dialect == "postgresql":
        async with db.engine.connect() as conn:
            await conn.execute(text("COMMIT"))
            # Steady state: autovacuum would have merged the GIN pending list by now.
            await conn.execute(text("VACUUM ANALYZE"))


async def bench_search(db: Database, people: list[Customer]) -> dict[str, tuple[float, float]]:
    rng = random.Random(11)
    async with db.unit_of_work() as session:
        user = await session.get(User, 1)
        assert user is not None
        actor = actor_for(user, Visibility.TEAM)
    sample = rng.sample(people, 200)
    queries = {
        "name (Chinese, full)": [c.name for c in sample],
        "pinyin initials": ["".join(s[0] for s in syllables(c.name)) for c in sample],
        "phone suffix (4 digits)": [c.contacts[0].value[-4:] for c in sample],
        "company": [str(c.company).split()[0] + " " + str(c.company).split()[1]
                    for c in sample],
        "pinyin (full)": [pinyin_key(c.name) for c in sample],
        "phone (whole number)": [c.contacts[0].value[3:] for c in sample],
        "email": [c.contacts[1].value.split("@")[0] for c in sample
                  if len(c.contacts) > 1][:200],
        "tag": [c.tags[0].name for c in sample if c.tags][:200],
        "code": [c.code for c in sample],
    }
    results: dict[str, tuple[float, float]] = {}
    for label, items in queries.items():
        timings = []
        for query in items:
            async with db.unit_of_work() as session:
                started = time.perf_counter()
                hits = await search_customers(session, query, actor)
                timings.append((time.perf_counter() - started) * 1000)
            assert hits, query
        results[label] = (statistics.median(timings), percentile(timings, 99))
    return results


def bench_flow_step(url: str) -> dict[str, float]:
    """In a fresh process, so that its RSS is the bot's and not the seeder's."""
    out = subprocess.run([sys.executable, "-m", "bench.flow", url], check=True,
                         capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def _memory_verdict(rss: float) -> str:
    """The 110 MB target is the bot's at 100,000 customers; larger tables are reported."""
    if SIZE:
        return "(reported; the target is at 100,000)"
    return f"≤ 110 MB ({'met' if rss <= 110 else 'MISSED'})"


async def run(url: str, label: str) -> str:
    print(f"[{label}] seeding {CUSTOMERS:,} customers …", flush=True)
    await upgrade(url)
    db = Database(url)
    people = fake_customers(CUSTOMERS)
    started = time.perf_counter()
    await seed(db, people)
    seeded = time.perf_counter() - started
    # The bench holds 100,000 ORM objects the bot never does: frozen, the collector does
    # not walk them in the middle of a timed lookup (a full collection over them took
    # ~10 ms, and landed in the p99).
    gc.collect()
    gc.freeze()
    search = await bench_search(db, people)
    scans = await bench_whole_table_reads(db, people)
    await db.dispose()
    flow = bench_flow_step(url)
    from bench import process

    running = await process.measure(url)
    step_median, step_p99, rss = flow["median"], flow["p99"], flow["rss"]
    heading = label if not SIZE else f"{label}, {CUSTOMERS:,} customers"
    lines = [f"### {heading}", "", f"Seeding {CUSTOMERS:,} customers took {seeded:.1f} s.", "",
             "| measure | median | p99 | target |", "|---|---|---|---|"]
    for name, (median, p99) in search.items():
        verdict = "met" if p99 <= LOOKUP_P99_MS else "MISSED"
        lines.append(f"| search: {name} | {median:.2f} ms | {p99:.2f} ms | "
                     f"p99 ≤ {LOOKUP_P99_MS} ms ({verdict}) |")
    lines.append(f"| add-flow step (name typed) | {step_median:.2f} ms | {step_p99:.2f} ms | "
                 f"median < 10 ms ({'met' if step_median < 10 else 'MISSED'}) |")
    lines.append(f"| inline query through the Application (up to 20 cards) | "
                 f"{flow['inline_median']:.1f} ms | {flow['inline_p99']:.1f} ms | p99 < 300 ms "
                 f"({'met' if flow['inline_p99'] < 300 else 'MISSED'}) |")
    lines.append(f"| RSS of the bot process after the add-flow steps | {rss:.0f} MB | | "
                 f"{_memory_verdict(rss)} |")
    lines.append(f"| RSS after the 200 inline queries too | {flow['rss_inline']:.0f} MB | | "
                 "(reported) |")
    lines.append(f"| RSS of `salesbot run` over HTTP: after start / after 10 members' 120 "
                 f"lookups, 30 adds and 10 English logs | {running['start']:.0f} MB | "
                 f"{running['used']:.0f} MB | {_memory_verdict(running['used'])} |")
    for name, (median, p99) in scans.items():
        lines.append(f"| {name} | {median:.1f} ms | {p99:.1f} ms | (reported) |")
    return "\n".join(lines)


async def bench_whole_table_reads(db: Database, people: list[Customer]
                                  ) -> dict[str, tuple[float, float]]:
    """The two reads that look at every customer: who a logged sentence names, and
    /dupes. Reported, no target in the issues."""
    rng = random.Random(13)
    async with db.unit_of_work() as session:
        user = await session.get(User, 1)
        assert user is not None
        actor = actor_for(user, Visibility.TEAM)
    sentences = [f"今天和{c.name}通话，要报价，下周五跟进" for c in rng.sample(people, 50)]
    mentioned = []
    for sentence in sentences:
        async with db.unit_of_work() as session:
            started = time.perf_counter()
            await customers_mentioned(session, sentence, actor)
            mentioned.append((time.perf_counter() - started) * 1000)
    groups = []
    for _ in range(5):
        async with db.unit_of_work() as session:
            started = time.perf_counter()
            await duplicate_groups(session, actor)
            groups.append((time.perf_counter() - started) * 1000)
    return {
        "who a logged sentence names (`customers_mentioned`), 50 sentences":
            (statistics.median(mentioned), percentile(mentioned, 99)),
        "/dupes groups over every customer, 5 runs (p99 column: the slowest)":
            (statistics.median(groups), max(groups)),
    }


PARTS = ("search", "miniapp", "reminders", "stale", "imports", "sales", "updates", "cards",
         "dates", "logs", "encrypted", "failover", "receivables", "surveys", "steering",
         "footprint")
# Parts too long for `make bench`, run by `make bench-large` (or by name).
LARGE_PARTS = ("million",)
SECTION = re.compile(r"<!-- bench:(\S+) -->\n(.*?)<!-- /bench -->\n", re.S)
INTRO = (
    "# Performance\n\nWritten by `make bench` (bench/__main__.py; `python -m bench stale` runs one"
    " part and replaces only its sections) and `make bench-large` (the search part at 1,000,000 "
    "customers, 18 to 30 minutes for both databases, most of it seeding, as the shared VM is "
    "busy). Each search figure is 200 queries drawn from the seeded data (an email for 2 in 3 "
    "customers, a tag for 1 in 2), timed around `search_customers` inside an open transaction, "
    "with the bench's own 100,000 seeded objects frozen out of the garbage collector (the bot "
    "holds no such thing); this machine is a shared VM, and a p99 of 200 is the second-slowest: "
    "run to run it moved by 2-4 ms here. The SQLCipher part seeds one SQLite database, measures "
    "it, encrypts it with `db encrypt` and measures it again; the flow step is `process_update` of"
    " a typed name in the /add flow through the in-process fake Bot API, database write of the "
    "conversation state included. The RSS of `salesbot run` (bench/process.py) is read from the "
    "bot as a child process over HTTP against the fake, on the seeded database, after its start "
    "and after ten members at once made 120 lookups, 30 adds and 10 English logs. The reminder "
    "burst is 10,000 follow-ups due at once for 10,000 members, sent by the bot's own sweep and "
    "rate limiter to a fake Bot API that answers 429 to a 31st send within any one second; the due"
    " query is the sweep's claim query (`send_after <= now`, 100 rows) over 1,000,000 follow-ups, "
    "a few hundred of them due; date understanding is `bot.understanding.dates.find_when` on 8 "
    "messages per language, 40 rounds. The stale scan is `storage.nudges.scan` as the sweep runs "
    "it every 15 minutes. The import figures (bench/imports.py) run the bot's own import path in a"
    " fresh process (workers included) on a generated 100,000-row sheet, while a colleague's "
    "lookups go through the whole Application every 100 ms; the export reads and writes in a "
    "worker. The manager's view (bench/sales.py) is the bot's own value job on 100,000 customers "
    "and 1,000,000 purchases while lookups run every 50 ms, and charts timed from the press of a "
    "chart button to the photo the in-process fake received, in a fresh process. Handling updates "
    "(bench/updates.py) runs the whole bot with its own long polling against the in-process fake, "
    "beside a bare PTB echo bot through the same fake. Inline queries (in the search part) go "
    "through the whole Application at 100,000 customers, answered with up to 20 cards each. "
    "Business cards (bench/cards.py) are read through the bot's own `read_card`, OCR worker "
    "included, in a fresh process. Dates (bench/dates.py) are read by `find_when` on the "
    "development and held-out phrases tests/date_phrases.py makes from meanings, and whole "
    "log sentences (bench/logs.py) on those of tests/log_sentences.py. The failover part "
    "(bench/failover.py, PostgreSQL) cuts every connection of a running `salesbot run` and "
    "takes the server away for 20 s, timing the answers after each. The receivables part "
    "(bench/receivables.py) times /receivables' aging over 100,000 customers, 1,000,000 "
    "purchases, installments and payments; the survey part (bench/surveys.py) the customers' "
    "survey page over HTTP among 100,000 surveys; the steering part (bench/steering.py) the "
    "team's attainment, a member's calendar feed and a campaign's send; the footprint part "
    "(bench/footprint.py) the memory of `salesbot run`'s whole process tree, workers "
    "included, through a sheet, a chart and card photos and after idling.\n\n"
)


async def run_parts(parts: list[str], url: str, label: str, scratch: str) -> dict[str, str]:
    """`scratch`: an empty database for the reminder and stale figures (deleting 100,000
    customers from SQLite's FTS index would take minutes); may be `url` on PostgreSQL."""
    out: dict[str, str] = {}
    if "search" in parts:
        out[f"search-{label}{SIZE}"] = await run(url, label)
    if "miniapp" in parts:  # on the search part's customers (seeded here if it did not run)
        if "search" not in parts:
            await upgrade(url)
            seeded = Database(url)
            await seed(seeded, fake_customers(CUSTOMERS))
            await seeded.dispose()
        out[f"miniapp-{label}"] = await miniapp.run(url, label)
    await upgrade(scratch)
    if "reminders" in parts:
        out[f"reminders-{label}"] = await reminders.run(scratch, label)
    if "stale" in parts:
        out[f"stale-{label}"] = await stale.run(scratch, label)
    if "sales" in parts:
        out[f"sales-{label}"] = await sales.run(scratch, label)
    if "updates" in parts:
        out[f"updates-{label}"] = await updates.run(scratch, label)
    if "cards" in parts and label == "SQLite":  # no database in it: measured once
        out["cards"] = cards.run()
    if "dates" in parts and label == "SQLite":  # no database in it: measured once
        out["dates"] = dates.run()
    if "logs" in parts and label == "SQLite":  # on a database of its own: measured once
        out["logs"] = await logs.run()
    if "receivables" in parts:
        out[f"receivables-{label}"] = await receivables.run(scratch, label)
    if "surveys" in parts:
        out[f"surveys-{label}"] = await surveys.run(scratch, label)
    if "steering" in parts:
        out[f"steering-{label}"] = await steering.run(scratch, label)
    if "footprint" in parts:
        out[f"footprint-{label}"] = await footprint.run(scratch, label)
    if "failover" in parts and label == "PostgreSQL":  # a server to lose
        out[f"failover-{label}"] = await failover.run(url, label)
    if "encrypted" in parts and label == "SQLite":  # SQLCipher is for SQLite
        with tempfile.TemporaryDirectory() as folder:
            out["encrypted"] = await encrypted.run(Path(folder), CUSTOMERS)
    if "imports" in parts:
        with tempfile.TemporaryDirectory() as folder:
            fresh = (imports.sqlite_urls(Path(folder)) if label == "SQLite"
                     else imports.postgres_urls(url))
            out[f"imports-{label}"] = await imports.run(fresh, label, Path(folder))
    if "million" in parts:
        with tempfile.TemporaryDirectory() as folder:
            fresh = (imports.sqlite_urls(Path(folder)) if label == "SQLite"
                     else imports.postgres_urls(url))
            out[f"imports-{label}-1000000"] = await imports.run_million(fresh, label,
                                                                        Path(folder))
    return out


def write_report(fresh: dict[str, str]) -> None:
    """Replaces the sections just measured; keeps the others with their own dates."""
    old = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    sections = {key: body for key, body in SECTION.findall(old)}
    machine = (f"{platform.node()}: {platform.machine()}, {psutil.cpu_count()} cores, "
               f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python "
               f"{platform.python_version()}, {platform.platform()}")
    stamp = f"Machine: {machine}  \nDate: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
    sections.update({key: f"{body}\n\n{stamp}" for key, body in fresh.items()})
    order = [f"{part}-{label}{size}" for label in ("SQLite", "PostgreSQL") for part in PARTS
             for size in ("", "-1000000")]
    keys = [k for k in order if k in sections] + [k for k in sections if k not in order]
    REPORT.write_text(INTRO + "".join(
        f"<!-- bench:{key} -->\n{sections[key]}<!-- /bench -->\n" for key in keys),
        encoding="utf-8")


async def main(parts: list[str]) -> None:
    fresh: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder:
        fresh.update(await run_parts(parts, f"sqlite+aiosqlite:///{folder}/bench.db", "SQLite",
                                     f"sqlite+aiosqlite:///{folder}/scratch.db"))
    pg = os.environ.get("SALESBOT_BENCH_DATABASE_URL")
    if pg:
        fresh.update(await run_parts(parts, pg, "PostgreSQL", pg))
    write_report(fresh)
    print("\n\n".join(fresh.values()))


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(PARTS)
    unknown = set(chosen) - set(PARTS) - set(LARGE_PARTS)
    if unknown:
        sys.exit(f"unknown part(s) {sorted(unknown)}; choose from {PARTS + LARGE_PARTS}")
    asyncio.run(main(chosen))
