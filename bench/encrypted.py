"""The cost of SQLCipher: the same lookups and add-flow steps on one SQLite database of
100,000 customers, plain and then encrypted in place with a key (target: at most 1.3x)."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database
from storage.encryption import encrypt_in_place, new_key, with_key
from storage.migrate import upgrade

RATIO_TARGET = 1.3


async def run(folder: Path, customers: int) -> str:
    from bench.__main__ import bench_flow_step, bench_search, fake_customers, seed

    url = f"sqlite+aiosqlite:///{folder}/encrypted-bench.db"
    await upgrade(url)
    people = fake_customers(customers)
    db = Database(url)
    await seed(db, people)
    await db.dispose()
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    key = new_key()
    for label, measured in (("plain", url), ("encrypted", with_key(url, key))):
        if label == "encrypted":
            encrypt_in_place(measured, key)
        db = Database(measured)
        figures[label] = await bench_search(db, people)
        await db.dispose()
        flow = bench_flow_step(measured)
        figures[label]["add-flow step (name typed)"] = (flow["median"], flow["p99"])
    lines = ["### SQLCipher: the same database plain and encrypted", "",
             f"{customers:,} customers; the encrypted figures after `db encrypt` of the same "
             "file, whose connections keep 8 MB of decrypted pages (plain: SQLite's 2 MB).",
             "",
             "| measure | plain median / p99 | encrypted median / p99 | ratio (median) | "
             "target |", "|---|---|---|---|---|"]
    for name, (plain_median, plain_p99) in figures["plain"].items():
        median, p99 = figures["encrypted"][name]
        ratio = median / plain_median
        verdict = "met" if ratio <= RATIO_TARGET else "MISSED"
        label = name if name.startswith("add-flow") else f"search: {name}"
        lines.append(f"| {label} | {plain_median:.2f} / {plain_p99:.2f} ms | {median:.2f} / "
                     f"{p99:.2f} ms | {ratio:.2f}x | ≤ {RATIO_TARGET}x ({verdict}) |")
    return "\n".join(lines)
