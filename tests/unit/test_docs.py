"""The documentation stays true: a short README with the two fresh-machine commands, links that lead somewhere, and
every option of every `python -m sbp` command documented in docs/settings-and-operations.md."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from sbp.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
CLI_DOC = DOCS / "settings-and-operations.md"
README_LIMIT = 10 * 1024  # bytes
# The only two commands a newcomer needs: install and open the dashboard on demo data; install and run every test.
FRESH_MACHINE = (
    "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && .venv/bin/python -m sbp.web",
    "bash .ci/run",
)
SHELL_FENCE = re.compile(r"^```(bash|sh|shell|console)\n(.*?)^```$", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def markdown_files() -> list[Path]:
    return sorted([*REPO.glob("*.md"), *DOCS.glob("*.md")])


def section(text: str, heading: str) -> str:
    """The text under a heading line, up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    following = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, start)
    return text[start:following.start() if following else len(text)]


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for a markdown file's headings (fenced blocks skipped)."""
    text = re.sub(r"^```.*?^```$", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    slugs, counts = set(), {}
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        counts[slug] = counts.get(slug, 0) + 1
        slugs.add(slug if counts[slug] == 1 else f"{slug}-{counts[slug] - 1}")
    return slugs


def test_the_readme_is_short_and_links_to_every_doc():
    readme = README.read_text(encoding="utf-8")
    assert README.stat().st_size < README_LIMIT, f"README.md is {README.stat().st_size} bytes; move detail to docs/"
    docs = sorted(DOCS.glob("*.md"))
    assert docs, "docs/ holds the guides"
    linked = {target.split("#")[0] for target in LINK.findall(readme)}
    assert [d.name for d in docs if f"docs/{d.name}" not in linked] == [], "the README links to every guide"


def test_the_readme_gives_exactly_the_two_fresh_machine_commands():
    readme = README.read_text(encoding="utf-8")
    fresh = [body.strip() for _, body in SHELL_FENCE.findall(section(readme, "## Two commands on a fresh machine"))]
    assert fresh == list(FRESH_MACHINE)
    # No other shell block sets a machine up: the two commands stay the only way in.
    others = [body for _, body in SHELL_FENCE.findall(readme) if body.strip() not in FRESH_MACHINE]
    assert [b for b in others if re.search(r"pip install|-m venv|\.ci/run|apt(-get)? install", b)] == []
    # What the commands name exists: the requirements, the server launcher, and a CI script that runs pytest.
    assert (REPO / "requirements.txt").is_file() and (REPO / "sbp" / "web" / "__main__.py").is_file()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "requirements-test.txt" in ci and "-m pytest" in ci


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(path: Path):
    broken = []
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(target)
    assert broken == [], f"{path.name} links to missing files or headings"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_the_parser_has_the_commands_the_cli_doc_is_checked_against():
    assert {"ingest", "forget", "status", "demo", "upgrade", "settings", "hash-password", "metric", "rank", "series",
            "exceptions", "report"} <= set(subcommands())


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_option_of_every_command_is_documented_in_its_section(name: str):
    """Each command has a `### name` section in the command line reference naming every long option it takes, and
    every value an option is limited to (choices), so a new option or choice cannot go undocumented."""
    doc = CLI_DOC.read_text(encoding="utf-8")
    assert f"\n### {name}\n" in doc, f"add a '### {name}' section to {CLI_DOC.name}"
    text = section(doc, f"### {name}")
    missing = []
    for action in subcommands()[name]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text):
                    missing.append(option)
                for choice in action.choices or ():
                    if not re.search(rf"(?<![\w-]){re.escape(str(choice))}(?![\w-])", text):
                        missing.append(f"{option} {choice}")
    assert missing == [], f"document these in the '### {name}' section of {CLI_DOC.name}"
