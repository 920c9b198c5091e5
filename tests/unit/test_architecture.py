"""ARCHITECTURE.md's "Where each rule lives" is true: every file it names exists and defines every name it cites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TICKED = re.compile(r"`([^`]+)`")
PATHS = re.compile(r"^(sbp|pages|data|tests)/[\w./]*$|^app\.py$")
NAME = re.compile(r"^([A-Za-z_]\w*)(?:\.(\w+))?(\(\))?$")


def rule_rows(text: str) -> list[tuple[str, str]]:
    """(rule, home) for each row of the 'Where each rule lives' table."""
    section = text.split("## Where each rule lives", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split(" | ", 1) for line in section.splitlines() if line.startswith("| ")]
    return [(rule.strip(), home.strip()) for rule, home in rows[1:]]  # the header row first


def defines(source: str, name: str, attr: str | None, called: bool) -> bool:
    """Whether source defines name (a function, class, constant or SQL step) and, with attr, the class has attr."""
    patterns = [rf"^\s*(async\s+)?def {name}\b", rf"^\s*class {name}\b", rf"^{name}\s*[:=]", rf"\b{name} AS \("]
    if not called and not name.isupper() and not name[0].isupper():
        patterns.append(rf"\b{name}\b")  # a column, setting or step named in the code
    if not any(re.search(p, source, re.M) for p in patterns):
        return False
    return attr is None or re.search(rf"^\s+{attr}\s*[:=(]|def {attr}\b", source, re.M) is not None


def problems(text: str, root: Path = REPO) -> list[str]:
    """Each file the table names that does not exist and each name no file it points to defines."""
    found = []
    everything = sorted((root / "sbp").rglob("*.py")) + sorted((root / "sbp").rglob("*.sql"))
    anywhere = "\n".join(p.read_text(encoding="utf-8") for p in everything)
    for rule, home in rule_rows(text):
        ticked = TICKED.findall(home)
        files = [t for t in ticked if PATHS.match(t)]
        for f in files:
            if not (root / f).exists():
                found.append(f"{rule!r}: {f} does not exist")
        # A bare module name ('validation.py') is one of the sbp folders' files.
        bare = [p for t in ticked if t.endswith(".py") and "/" not in t for p in everything if p.name == t]
        where = [root / f for f in files if f.endswith((".py", ".sql")) and (root / f).exists()] + bare or everything
        sources = "\n".join(p.read_text(encoding="utf-8") for p in where)
        for t in ticked:
            if PATHS.match(t) or t.endswith((".py", ".sql", ".toml", ".csv")) or not (m := NAME.match(t)):
                continue
            # In the files the cell names, or (a name the cell cites from elsewhere) in some file of the package.
            if not any(defines(text_, m.group(1), m.group(2), bool(m.group(3))) for text_ in (sources, anywhere)):
                found.append(f"{rule!r}: {t} is not defined in sbp/")
    return found


def test_every_rule_home_names_what_exists():
    text = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert len(rule_rows(text)) >= 15
    assert problems(text) == []


@pytest.mark.parametrize("row, missing", [
    ("| rolling year | `COMPARISON_SQL_OLD` in `sbp/metrics/queries.py` |", "COMPARISON_SQL_OLD"),
    ("| rank | `old_rank()` in `sbp/metrics/figures.py` |", "old_rank()"),
    ("| units | `Measure.unit_words` in `sbp/config/__init__.py` |", "Measure.unit_words"),
    ("| sql | `INDEX_SQL` in `sbp/store/nowhere.py` |", "sbp/store/nowhere.py"),
])
def test_a_stale_row_is_found(row, missing):
    text = f"## Where each rule lives\n\n| rule | its one home |\n|---|---|\n{row}\n\n## Next\n"
    assert any(missing in p for p in problems(text)), problems(text)
