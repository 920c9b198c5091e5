"""The tree matches ARCHITECTURE.md and docs/development.md: streamlit only in sbp/web, no benchmarks in sbp, dependencies listed once per use."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("config", "ingest", "store", "metrics", "display", "web", "report", "cli")


def imports(path: Path) -> set[str]:
    """The top-level module names a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_sbp_web_imports_streamlit_and_nothing_in_sbp_is_a_benchmark():
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "sbp").rglob("*.py")
                 if p.parent.name != "web" and any(n.split(".")[0] == "streamlit" for n in imports(p))]
    assert offenders == []
    assert not [p for p in (REPO / "sbp").rglob("*.py") if "bench" in p.name or any(n.split(".")[0] == "bench" for n in imports(p))]
    assert {p.name for p in (REPO / "sbp").iterdir() if p.is_dir() and not p.name.startswith("__")} == set(FOLDERS)


def test_architecture_and_the_development_guide_describe_every_folder():
    architecture = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    development = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    layout = development[development.index("## Layout"):development.index("## Tests and benchmarks")]
    for folder in FOLDERS:
        assert f"sbp/{folder}/" in architecture, folder
        assert f"{folder}/" in layout, folder
    for top in ("app.py", "pages/", "bench/", "tests/", "data/", "pyproject.toml", "requirements.txt"):
        assert top in layout and top in architecture, top


def requirement_names(path: Path) -> list[str]:
    lines = [re.split(r"\s+#", line)[0].strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "-r"))]


def test_requirements_files_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert requirement_names(REPO / "requirements.txt") == project["dependencies"] + extras["report"]
    assert requirement_names(REPO / "requirements-test.txt") == extras["test"]
    runtime = {re.split(r"[<>=]", r)[0] for r in requirement_names(REPO / "requirements.txt")}
    assert not runtime & {"pytest", "hypothesis", "playwright"}, "test tools are not installed into production"


def test_the_sbp_command_lists_its_subcommands(capsys):
    from sbp.cli import main

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"sbp": "sbp.cli:main"}
    try:
        main(["--help"])
    except SystemExit as done:
        assert done.code == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ("ingest", "status", "settings", "metric", "rank", "report"))
    for command in ("metric", "rank", "series", "exceptions", "report", "settings"):
        try:
            main([command, "--help"])
        except SystemExit as done:
            assert done.code == 0, command


def test_architecture_names_every_module_in_its_folder_paragraph():
    """Each module under sbp/ (but __init__.py) is named, as `name.py`, in the paragraph of ARCHITECTURE.md that
    describes its folder (**`sbp/`** for the package's own files), so a new module cannot go undescribed."""
    paragraphs = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8").split("\n\n")
    missing = []
    for path in sorted((REPO / "sbp").rglob("*.py")):
        if path.name == "__init__.py":
            continue
        folder = path.parent.relative_to(REPO).as_posix()
        described = [p for p in paragraphs if p.startswith(f"**`{folder}/`**")]
        if len(described) != 1 or f"`{path.name}`" not in described[0]:
            missing.append(str(path.relative_to(REPO)))
    assert missing == [], "name these modules in their folder's paragraph of ARCHITECTURE.md"


# What each folder may call by the flow of ARCHITECTURE.md (sbp.errors and its own modules always).
FLOW = {
    "config": set(),
    "store": {"config"},
    "ingest": {"config", "store"},
    "metrics": {"config", "store"},
    "display": {"config", "metrics"},
    "web": {"config", "store", "ingest", "metrics", "display"},
    "report": {"config", "store", "ingest", "metrics", "display"},
    "cli": {"config", "store", "ingest", "metrics", "display", "report"},
}
# The calls ARCHITECTURE.md lists as going against the flow, each with its reason.
AGAINST_FLOW = {
    ("ingest", "sbp.metrics.materialized"),
    ("store", "sbp.metrics.materialized"),
    ("store", "sbp.ingest.geography"),
    ("cli", "sbp.web.auth"),
}


def sbp_modules(path: Path) -> set[str]:
    """The sbp modules a file imports anywhere in it (inside functions too), as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "sbp"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "sbp":
            for alias in node.names:
                module = f"{node.module}.{alias.name}"
                is_module = (REPO / (module.replace(".", "/") + ".py")).exists() or (REPO / module.replace(".", "/")).is_dir()
                found.add(module if is_module else node.module)
    return found


def test_calls_against_the_flow_are_the_ones_architecture_names():
    architecture = (REPO / "ARCHITECTURE.md").read_text(encoding="utf-8")
    against = set()
    for folder, allowed in FLOW.items():
        for path in (REPO / "sbp" / folder).rglob("*.py"):
            for module in sbp_modules(path):
                parts = module.split(".")
                if len(parts) > 1 and parts[1] not in allowed | {folder, "errors"}:
                    against.add((folder, module))
    assert against == AGAINST_FLOW, "say in ARCHITECTURE.md why a call goes against the flow, then list it here"
    for _, module in AGAINST_FLOW:
        assert f"`{module}`" in architecture, module
