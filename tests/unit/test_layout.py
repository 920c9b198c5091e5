"""The tree matches ARCHITECTURE.md and docs/development.md: streamlit only in sbp/web, no benchmarks in sbp, dependencies listed once per use."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

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


def module_name(path: Path, base: Path = REPO) -> str:
    """The dotted name a file under base is imported as (a package's __init__.py is the package)."""
    parts = list(path.relative_to(base).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = REPO / "sbp") -> dict[str, set[str]]:
    """Each sbp module -> the sbp modules importing it runs, from imports anywhere in the file (inside functions too).

    Importing sbp.a.b runs sbp.a's __init__ first, so it depends on both, except on the packages the importer is
    itself inside (they are already being imported). A `from sbp.a import name` depends on sbp.a.name when that is a
    module, else on sbp.a.
    """
    modules = {module_name(p, root.parent): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        if path.name == "__init__.py":
            own.add(name)
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                            for a in node.names}
        deps = set()
        for target in targets:
            parts = target.split(".")
            deps |= {prefix for i in range(1, len(parts) + 1)
                     if (prefix := ".".join(parts[:i])) in modules and (prefix == target or prefix not in own)}
        graph[name] = deps - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """The shortest import path from the component's first module back to itself (breadth first, inside it)."""
    start, members = component[0], set(component)
    came_from = {start: start}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for dep in sorted(graph[node] & members):
                if dep == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if dep not in came_from:
                    came_from[dep] = node
                    following.append(dep)
        frontier = following
    raise AssertionError(f"{component} is not a cycle")


def test_the_import_graph_of_sbp_has_no_cycle():
    """No sbp module imports, even lazily inside a function, a module that imports it back (directly or not)."""
    graph = import_graph()
    found = [f"{' -> '.join(a_cycle(graph, c))} (all of {', '.join(c)})" for c in cycles(graph)]
    assert found == [], "import cycles: " + "; ".join(found)


def test_the_cycle_check_finds_a_lazy_import_back(tmp_path):
    """The check itself: a function-level import that closes a circle, through a package's __init__, is found."""
    package = tmp_path / "sbp"
    for name, text in {"__init__.py": "", "a/__init__.py": "from sbp.a.low import f\n", "a/low.py": "def f():\n    import sbp.b.x\n",
                       "b/__init__.py": "", "b/x.py": "from sbp.a import f\n", "c.py": "from sbp.b import x\n"}.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    graph = import_graph(package)
    assert graph["sbp.b.x"] == {"sbp.a"} and graph["sbp.c"] == {"sbp.b", "sbp.b.x"}
    assert [a_cycle(graph, c) for c in cycles(graph)] == [["sbp.a", "sbp.a.low", "sbp.b.x", "sbp.a"]]


# --- pages arrange only: every figure is worked out in sbp/, the page scripts and app.py only lay it out ---------

FIGURE_CALLS = {"add_months", "month_range", "pct_change", "rank", "round"}  # round() and .round() alike
ARITHMETIC = (ast.Sub, ast.Div, ast.Mult, ast.FloorDiv, ast.Mod)
# Layout-only arithmetic a page may do, as (file name, source text of the expression); keep it short.
LAYOUT_ARITHMETIC: set[tuple[str, str]] = set()


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def figure_work(source: str, name: str = "<snippet>") -> list[str]:
    """Each place the source works out a figure itself (a figure call, or arithmetic on non-text operands)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if called in FIGURE_CALLS:
                found.append(f"{name}:{node.lineno}: {called}()")
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ARITHMETIC):
            left, right = (node.left, node.right) if isinstance(node, ast.BinOp) else (node.target, node.value)
            if _is_text(left) or _is_text(right):  # '%'-formatting, "-" * 20
                continue
            if (name, ast.get_source_segment(source, node)) not in LAYOUT_ARITHMETIC:
                found.append(f"{name}:{node.lineno}: {ast.get_source_segment(source, node)}")
    return found


def test_pages_and_app_compute_no_figure():
    scripts = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]
    assert len(scripts) > 5
    found = [hit for path in scripts for hit in figure_work(path.read_text(encoding="utf-8"), path.name)]
    assert found == [], "work these out in sbp/ (sbp.metrics, or a view in sbp/display) and show the result"


@pytest.mark.parametrize("snippet", [
    "start = add_months(end, -11)", "months = month_range(first, last)", "pct = pct_change(a, b)",
    "frame['p'] = frame['n'].pct_change()", "r = rates.round(9).rank(method='min')", "v = round(x, 2)",
    "moved = row['rank_previous'] - row['rank']", "share = part / whole", "px = 36 * rows", "n = a // 2",
    "m = month % 12", "total -= 1",
])
def test_figure_work_finds_a_page_computing_a_figure(snippet):
    assert figure_work(snippet)


@pytest.mark.parametrize("snippet", [
    'label = "%d rows" % n', 'rule = "-" * 20', 'left, right = st.columns([3.2, 1.1])', "offset = -1",
    'title = f"{a} - {b}"', "text = first + second",
])
def test_figure_work_allows_layout(snippet):
    assert figure_work(snippet) == []


# --- source names from one home: the names sources are stored under are written only in sbp/config/sources.py ---

# The stored values (source_files.file_format, crime_counts.source), spelt out here on purpose: the check must not
# lose a name because sbp/config/sources.py did.
SOURCE_NAMES = {"mps_borough", "mps_ward", "mps_lsoa", "police_uk", "mps_dashboard", "long_counts", "population",
                "lsoa_lookup", "lsoa11_lookup", "force_lookup", "ons_population", "partner_measures"}
# Two of them are also words with another meaning (the population table and its column; a measure's police_uk
# field, its police.uk crime types): written alone, these are flagged only where they stand for a source.
ALSO_ANOTHER_NAME = {"population", "police_uk"}
QUOTED_SOURCE = re.compile("'(" + "|".join(sorted(SOURCE_NAMES)) + ")'")  # a source as SQL names it
SOURCE_SIDE = re.compile(r"source|format|Detected")  # an expression that holds or takes a source name


def _names_a_source(node: ast.AST) -> bool:
    """A source name written as a literal, or as one of the constants of sbp/config/sources.py."""
    from sbp.config import sources

    constants = {k for k, v in vars(sources).items() if k.isupper() and v in SOURCE_NAMES}
    return ((isinstance(node, ast.Constant) and node.value in SOURCE_NAMES)
            or (isinstance(node, ast.Name) and node.id in constants)
            or (isinstance(node, ast.Attribute) and node.attr in constants))


def _stands_for_a_source(node: ast.Constant, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a literal that is also another name is used as a source here: among other source names, compared
    with, assigned or passed to something holding a source, or the value of a "source" key."""
    inner, outer = node, parents.get(node)
    while isinstance(outer, (ast.Tuple, ast.List, ast.Set)):
        if any(_names_a_source(e) for e in outer.elts if e is not inner):
            return True
        inner, outer = outer, parents.get(outer)
    side = lambda nodes: any(SOURCE_SIDE.search(ast.unparse(n)) for n in nodes if n is not None and n is not inner)
    if isinstance(outer, ast.Dict):
        if inner in outer.keys:
            return any(_names_a_source(k) for k in outer.keys if k is not None and k is not inner)
        return side([outer.keys[outer.values.index(inner)]])
    if isinstance(outer, ast.Compare):
        return side([outer.left, *outer.comparators])
    if isinstance(outer, (ast.Assign, ast.AnnAssign)):
        return side(outer.targets if isinstance(outer, ast.Assign) else [outer.target])
    if isinstance(outer, ast.keyword):
        return bool(outer.arg and SOURCE_SIDE.search(outer.arg))
    if isinstance(outer, ast.Call):
        return inner in outer.args and side([outer.func])
    return False


def source_literals(source: str, name: str = "<snippet>") -> list[str]:
    """Each source name the code writes as a literal: a string equal to one, or one quoted as SQL quotes it in a
    string or an f-string's text (docstrings may name sources)."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {node.body[0].value for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or node in docstrings:
            continue
        found += [f"{name}:{node.lineno}: '{quoted}'" for quoted in QUOTED_SOURCE.findall(node.value)]
        if node.value in SOURCE_NAMES and (node.value not in ALSO_ANOTHER_NAME or _stands_for_a_source(node, parents)):
            found.append(f"{name}:{node.lineno}: {node.value!r}")
    return found


def test_source_names_are_written_only_in_sbp_config_sources():
    from sbp.config import sources

    assert {v for k, v in vars(sources).items() if k.isupper() and isinstance(v, str)} == SOURCE_NAMES
    home = REPO / "sbp" / "config" / "sources.py"
    scripts = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py")), *sorted((REPO / "sbp").rglob("*.py"))]
    found = [hit for path in scripts if path != home
             for hit in source_literals(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == [], "name these sources with the constants of sbp/config/sources.py (f-strings in SQL)"


@pytest.mark.parametrize("snippet", [
    'if source == "police_uk": pass', "MPS = ('mps_borough', 'mps_ward', 'mps_lsoa')",
    "SQL = \"SELECT count(*) FROM crime_counts WHERE source IN ('mps_ward', 'mps_lsoa')\"",
    "sql = f\"DELETE FROM crime_counts WHERE source = 'police_uk' AND file_id = {file_id}\"",
    'LOADERS = {"population": load_population, POLICE_UK: load_police_uk}', 'summary.file_format = "ons_population"',
    'if self.file_format != "population": pass', 'detected = Detected("population", header)',
    'rows = cats[cats["source"].isin(["long_counts", "police_uk"])]', 'fmt = FileSummary(file_format="population")',
])
def test_source_literals_finds_a_source_name_written_out(snippet):
    assert source_literals(snippet)


@pytest.mark.parametrize("snippet", [
    'frame = frame[frame["population"].notna()]', 'TABLES = ("crime_counts", "population", "source_files")',
    'fields = tuple(spec.get("police_uk", ()))', 'def f():\n    """Stored as source \'mps_dashboard\'."""',
    "sql = f\"DELETE FROM crime_counts WHERE source = '{POLICE_UK}'\"", 'ok = "population" in lowered',
    'kind = "DOUBLE" if name.lower() in ("population", "year") else "VARCHAR"', 'table = "police_uk_counts"',
])
def test_source_literals_allows_constants_and_other_names(snippet):
    assert source_literals(snippet) == []
