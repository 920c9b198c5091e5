"""Shared fixtures: a clean environment, a fresh store per test, the demo and real-extract stores built once per run
(tests that change a store take a copy), the real extracts from ../shared/data, a small MPS borough file with known
totals, and how the suite is spread over two workers."""

from __future__ import annotations

import functools
import gc
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from sbp.ingest import FileSummary, ingest
from sbp.ingest.demo import build_demo

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SBP_SHARED_DATA", REPO.parent / "shared" / "data"))
REAL_MPS = SHARED / "mps" / "mps_borough_level_crime_2021-12_to_2023-11.csv"
REAL_POPULATION = SHARED / "population" / "census2021_london_boroughs.csv"
# Variables that point the code at another store or settings file; a developer's exported ones never reach a test.
SBP_ENVIRONMENT = ("SBP_SETTINGS", "SBP_DB")

# The suite is reproducible: property tests draw the same examples on every run, so CI never fails on a new
# random draw. HYPOTHESIS_PROFILE=explore draws fresh random examples to hunt for new failures.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=1000, print_blob=True)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(HYPOTHESIS_PROFILE)


def examples(ci: int) -> int:
    """How many examples a property test draws: ci on the fixed CI draw, the profile's count (1,000) when exploring.

    (A test's own max_examples would otherwise override the explore profile's.)"""
    return ci if HYPOTHESIS_PROFILE == "ci" else max(ci, settings.default.max_examples)


def pytest_configure(config: pytest.Config) -> None:
    """Streamlit's AppTest scans every installed package for components each time a new app is run (about 0.1 s,
    dozens of times a run); the installed packages do not change during a run, so the scan is done once."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # the xdist controller runs no tests
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return
    if not hasattr(manifest_scanner.scan_component_manifests, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep Python's cyclic garbage collector off the objects every test shares: after collection, the imported
    libraries (pandas, Altair, Streamlit, DuckDB) are frozen out of its scans, and it runs less often. The tests
    allocate heavily (Altair copies chart specs, pandas frames), and the collector's default pace took about a
    tenth of the run's CPU."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by its folder: unit, integration or browser. On two workers, the slow tests go out first."""
    for item in items:
        folder = Path(str(item.fspath)).parent.name
        if folder in ("unit", "integration", "browser"):
            item.add_marker(folder)
    if getattr(config.option, "loadgroup", False):  # an xdist worker: every worker sorts its collection the same way
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session", autouse=True)
def _no_sbp_environment_for_the_session():
    """Unset SBP_SETTINGS and SBP_DB for the whole run: session and module fixtures and the servers and processes
    tests start (which inherit os.environ) see the defaults unless they set them."""
    with pytest.MonkeyPatch.context() as patch:
        for name in SBP_ENVIRONMENT:
            patch.delenv(name, raising=False)
        yield


@pytest.fixture(autouse=True)
def _no_sbp_environment(monkeypatch):
    """Unset SBP_SETTINGS and SBP_DB for every test; a test that needs one sets it with monkeypatch."""
    for name in SBP_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


# --- running on two workers (pytest-xdist; pytest.ini: -n 2 --dist loadgroup) --------------------

MODULE_FIXTURE = re.compile(r"@pytest\.fixture\([^)]*scope\s*=\s*[\"'](?:module|class|package)[\"']")


@functools.cache
def shares_a_fixture(test_file: str) -> bool:
    """Whether a test file defines a fixture kept for its module or class (a store built once, a running server)."""
    path = REPO / test_file
    return path.is_file() and MODULE_FIXTURE.search(path.read_text(encoding="utf-8")) is not None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """--dist loadgroup with the groups made here: a test file that defines a module- or class-scoped fixture is
    one group (one worker builds the fixture once and runs all of that file's tests); every other test is a unit of
    its own. Groups go out first, the largest first, then single tests in collection order, so the workers finish
    close together. (xdist 3.8 marks a group by renaming the test, which pytest 9 no longer sees: the
    xdist_group mark does nothing here.)
    """
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FixtureGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            scope = super()._split_scope(nodeid)
            if scope != nodeid:
                return scope
            test_file = nodeid.split("::", 1)[0]
            return test_file if shares_a_fixture(test_file) else nodeid

    return FixtureGroupScheduling(config, log)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store path in a fresh temporary folder."""
    return tmp_path / "store" / "sbp.duckdb"


@dataclass(frozen=True)
class DemoBuild:
    """The session's demo store and what building it said (test_demo checks these)."""

    db: Path
    summaries: list[FileSummary]
    messages: list[str]


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> DemoBuild:
    """build_demo() into a fresh folder, once per run (once per xdist worker)."""
    db = tmp_path_factory.mktemp("demo-store") / "sbp.duckdb"
    messages: list[str] = []
    summaries = build_demo(db, progress=messages.append)
    return DemoBuild(db, summaries, messages)


@pytest.fixture(scope="session")
def demo_store(demo_build: DemoBuild) -> Path:
    """The synthetic demo store, built once per run; tests must not change it (take demo_db for that)."""
    return demo_build.db


def store_of(tmp_path_factory: pytest.TempPathFactory, files: dict[str, str], new_areas: Iterable[str] = ()) -> Path:
    """A new store holding files (name -> text) loaded in one ingest, in a fresh folder: for fixtures built once
    that tests read or copy."""
    folder = tmp_path_factory.mktemp(Path(next(iter(files))).stem)
    for name, text in files.items():
        (folder / name).write_text(text)
    db = folder / "store" / "sbp.duckdb"
    ingest([folder / name for name in files], db=db, new_areas=new_areas)
    return db


def copy_store(db: Path, to: Path) -> Path:
    """A private copy, at the path to, of the store at db (its link and version files; db's folder holds nothing
    else): built once per run, copied for each test that changes it."""
    assert to.name == db.name and not to.parent.exists(), to
    shutil.copytree(db.parent, to.parent, symlinks=True)
    return to


@pytest.fixture
def demo_db(demo_store: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store that the test may change."""
    return copy_store(demo_store, tmp_path / "demo" / demo_store.name)


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write text (or bytes) to a named CSV file in the test's folder and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding, newline="")
        return path

    return _write


def _require_real_files() -> tuple[Path, Path]:
    if not REAL_MPS.exists() or not REAL_POPULATION.exists():
        pytest.skip(f"real extracts not found under {SHARED} (set SBP_SHARED_DATA to the shared/data folder)")
    return REAL_MPS, REAL_POPULATION


@pytest.fixture
def real_files() -> tuple[Path, Path]:
    """The real MPS borough extract and Census 2021 populations, or skip when ../shared/data is absent."""
    return _require_real_files()


def shared_store(folder: Path, files: Sequence[Path]) -> Path:
    """A new store in folder holding the shared files, loaded in one ingest; skip when any of them is absent."""
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        pytest.skip(f"shared data not found: {', '.join(missing)} (set SBP_SHARED_DATA to the shared/data folder)")
    db = folder / "sbp.duckdb"
    ingest(list(files), db=db)
    return db


@pytest.fixture(scope="session")
def real_store(tmp_path_factory) -> Path:
    """The real borough extract and populations ingested once per run (or skip); tests only read it.

    (test_real_extract checks that ingest itself, with its summaries, into a store of its own.)
    """
    files = _require_real_files()
    db = tmp_path_factory.mktemp("real-store") / "sbp.duckdb"
    ingest(list(files), db=db)
    return db


BOROUGH_MONTHS = [f"{2022 + i // 12}{i % 12 + 1:02d}" for i in range(24)]  # 202201 ... 202312
BOROUGH_CATEGORIES = [("Burglary", "Domestic Burglary"), ("Violence Against the Person", "Violence with Injury")]


def borough_csv(path: Path, scale: int, months=BOROUGH_MONTHS, boroughs=("Bromley", "Bexley", "Croydon")) -> Path:
    """Write a small MPS borough-level file: each count is scale x a fixed pattern, so totals and revisions are known."""
    lines = ["MajorText,MinorText,LookUp_BoroughName," + ",".join(months)]
    for b, borough in enumerate(boroughs):
        for c, (major, minor) in enumerate(BOROUGH_CATEGORIES):
            lines.append(f"{major},{minor},{borough}," + ",".join(str(scale * (1 + (b + c + m) % 5)) for m in range(len(months))))
    path.write_text("\n".join(lines) + "\n")
    return path
