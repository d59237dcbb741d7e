"""The import directions of ../shared/DESIGN.md's layout, kept by a test.

Each part of the code (a top-level package, or one of bot/'s packages) may import only
the parts `MAY_IMPORT` names for it, so that the parts stand in layers: storage at the
bottom, free of Telegram; bot.understanding and bot.messages above it; bot.runtime,
bot.media and bot.tables above those; the features (handlers, scheduler, webapp) on
top; bot.process, the composition root, over everything. docs/architecture.md draws the
same table. Imports under `if TYPE_CHECKING:` count too: a type is knowledge as well.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "scheduler", "webapp")

BOTTOM = {"storage"}
MAY_IMPORT: dict[str, set[str]] = {
    "storage": set(),
    "bot.understanding": BOTTOM,
    "bot.messages": BOTTOM | {"bot.understanding"},
    "bot.runtime": BOTTOM | {"bot.messages"},
    "bot.media": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime"},
    "bot.tables": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime"},
    "bot.mail": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime"},
    "handlers": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime", "bot.media",
                          "bot.tables", "bot.mail"},
    "scheduler": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime", "bot.media",
                           "bot.tables", "bot.mail"},
    "webapp": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime", "bot.media",
                        "bot.tables", "bot.mail"},
    "bot.process": BOTTOM | {"bot.understanding", "bot.messages", "bot.runtime", "bot.media",
                             "bot.tables", "bot.mail", "handlers", "scheduler", "webapp"},
    "bot": {"bot.process"},  # bot/__main__.py: `python -m bot`
}
# The core serves the console, imports, the scheduler and the tests as well: no Telegram.
NO_TELEGRAM = {"storage", "bot.understanding"}
# "No SQL here": what handlers and pages may name from SQLAlchemy is a session to pass on
# and a condition a service built.
SQL_TYPES = {"AsyncSession", "ColumnElement"}
NO_SQL = {"handlers", "webapp"}


@dataclass(frozen=True)
class Import:
    path: str  # as git shows it, e.g. "handlers/deals.py"
    line: int
    module: str  # the importing module, dotted
    target: str  # the imported module (or a name in it), dotted
    names: tuple[str, ...] = ()


def part_of(module: str) -> str | None:
    """The part a dotted module belongs to, or None outside our packages."""
    head, _, rest = module.partition(".")
    if head not in PACKAGES:
        return None
    if head == "bot" and rest and f"bot.{rest.partition('.')[0]}" in MAY_IMPORT:
        return f"bot.{rest.partition('.')[0]}"
    return head


def module_name(path: Path) -> str:
    dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return dotted.removesuffix(".__init__")


def imports_in(path: Path) -> Iterator[Import]:
    module = module_name(path)
    shown = str(path.relative_to(ROOT))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(shown, node.lineno, module, alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield Import(shown, node.lineno, module, node.module,
                         tuple(alias.name for alias in node.names))


def our_imports() -> list[Import]:
    found: list[Import] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found += imports_in(path)
    return found


def wrong_directions(imports: Iterable[Import]) -> list[str]:
    """Every import against MAY_IMPORT, NO_TELEGRAM or NO_SQL, said as a sentence."""
    wrong: list[str] = []
    for found in imports:
        importer, imported = part_of(found.module), part_of(found.target)
        where = f"{found.path}:{found.line}"
        if importer is None:
            continue
        if imported is not None and imported != importer \
                and imported not in MAY_IMPORT[importer]:
            wrong.append(f"{where}: {importer} imports {found.target} ({imported})")
        if importer in NO_TELEGRAM and found.target.split(".")[0] == "telegram":
            wrong.append(f"{where}: {importer} imports telegram")
        if importer in NO_SQL and found.target.split(".")[0] == "sqlalchemy" \
                and not set(found.names) <= SQL_TYPES:
            wrong.append(f"{where}: {importer} builds SQL ({found.target})")
        if imported is not None and imported != importer and any(
                name.startswith("_") and name != "__version__" for name in found.names):
            wrong.append(f"{where}: {importer} imports a private name of {found.target}")
    return wrong


def cycles(imports: Iterable[Import]) -> list[list[str]]:
    """Groups of parts that import each other, directly or round about (Tarjan)."""
    graph: dict[str, set[str]] = {part: set() for part in MAY_IMPORT}
    for found in imports:
        importer, imported = part_of(found.module), part_of(found.target)
        if importer and imported and importer != imported:
            graph[importer].add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found_cycles: list[list[str]] = []

    def visit(part: str) -> None:
        index[part] = low[part] = len(index)
        stack.append(part)
        for other in graph[part]:
            if other not in index:
                visit(other)
                low[part] = min(low[part], low[other])
            elif other in stack:
                low[part] = min(low[part], index[other])
        if low[part] == index[part]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == part:
                    break
            if len(group) > 1:
                found_cycles.append(sorted(group))

    for part in graph:
        if part not in index:
            visit(part)
    return found_cycles


def test_every_package_imports_only_downwards() -> None:
    assert wrong_directions(our_imports()) == []


def test_no_two_parts_import_each_other() -> None:
    assert cycles(our_imports()) == []


def test_every_module_of_bot_is_in_a_package_that_says_what_it_holds() -> None:
    loose = [p.name for p in (ROOT / "bot").glob("*.py")
             if p.name not in ("__init__.py", "__main__.py")]
    assert loose == []
    for package in (ROOT / "bot").iterdir():
        if package.is_dir() and package.name != "__pycache__" and package.name != "locales":
            doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
            assert doc and "may import" in doc.casefold(), package.name
            assert f"bot.{package.name}" in MAY_IMPORT


@pytest.mark.parametrize(("path", "module", "target", "names", "said"), [
    ("storage/customers.py", "storage.customers", "bot.runtime.config", ("Settings",),
     "storage imports bot.runtime.config"),
    ("storage/audit.py", "storage.audit", "telegram", ("Bot",), "storage imports telegram"),
    ("bot/messages/team.py", "bot.messages.team", "bot.runtime.workers", ("in_worker",),
     "bot.messages imports bot.runtime.workers"),
    ("handlers/deals.py", "handlers.deals", "bot.process.app", ("build_application",),
     "handlers imports bot.process.app"),
    ("handlers/deals.py", "handlers.deals", "sqlalchemy", ("select",),
     "handlers builds SQL"),
    ("webapp/api.py", "webapp.api", "storage.sales.deals", ("_stage_order",),
     "private name"),
])
def test_a_wrong_import_is_caught(path: str, module: str, target: str,
                                  names: tuple[str, ...], said: str) -> None:
    wrong = wrong_directions([*our_imports(), Import(path, 1, module, target, names)])
    assert len(wrong) == 1 and said in wrong[0]


def test_a_cycle_between_parts_is_caught() -> None:
    upward = Import("bot/runtime/workers.py", 1, "bot.runtime.workers", "bot.media.charts",
                    ("draw",))
    assert cycles([*our_imports(), upward]) == [["bot.media", "bot.runtime"]]
