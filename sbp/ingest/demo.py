"""A deterministic synthetic demo: extracts in the real published formats, loaded through the normal ingest."""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
import numpy as np

from sbp import store
from sbp.errors import SbpError
from sbp.ingest.context import FileSummary
from sbp.ingest.load import ingest
from sbp.config.sources import PARTNER

DEMO_SEED = 2022
AIRPORTS = "London Heathrow and London City Airports"
HOME_BOROUGH = "Bromley"
DATA_DIR = Path(__file__).resolve().parents[2] / "data"

POPULATION_YEAR = 2021
HOME_POPULATION = 330_000
AIRPORT_POPULATION = 10_000        # population-equivalent that scales the airports' small counts
WARD_MONTHS = 36
UNLOCATED_SHARE = 0.04             # the MPS ward file leaves out offences not located to a ward
TREND_ANCHOR = 2023.0              # rates below are the rates at the start of 2023; trends drift from there
SEASON_AMPLITUDE = 0.10
SEASON_PEAK = {"summer": 7, "winter": 12}
BOROUGH_SIGMA = 0.25               # spread of the per-borough multiplier
CATEGORY_SIGMA = 0.15              # spread of each borough's own category mix
WARD_SIGMA = 0.25
SPIKE_WARD, SPIKE_CATEGORY, SPIKE_FACTOR = "Bromley Town", "Theft from a Motor Vehicle", 3.0
LINE_END = "\r\n"                  # as the London Datastore files

# Lockdown multipliers: (Apr-Jun 2020, Nov 2020-Mar 2021); Jul-Oct 2020 is half way back from the second.
LOCKDOWN = {
    "most": (0.65, 0.80),
    "street": (0.45, 0.65),
    "crowd": (0.30, 0.55),
    "home": (0.50, 0.70),
    "drugs": (1.40, 1.20),
    "none": (1.00, 1.00),
    "asb": (1.70, 1.30),           # ASB lines took reports of lockdown breaches
    "domestic": (1.08, 1.05),
}
AIRPORT_LOCKDOWN = (0.30, 0.50)    # flights all but stopped

# Rough Census 2021 sizes in thousands; the demo jitters them, so they are not the published figures.
BOROUGH_SIZES = {
    "Barking and Dagenham": 219, "Barnet": 389, "Bexley": 247, "Brent": 340, "Bromley": 330, "Camden": 210,
    "Croydon": 391, "Ealing": 367, "Enfield": 330, "Greenwich": 289, "Hackney": 259, "Hammersmith and Fulham": 183,
    "Haringey": 264, "Harrow": 261, "Havering": 262, "Hillingdon": 306, "Hounslow": 288, "Islington": 217,
    "Kensington and Chelsea": 155, "Kingston upon Thames": 168, "Lambeth": 317, "Lewisham": 300, "Merton": 215,
    "Newham": 351, "Redbridge": 311, "Richmond upon Thames": 195, "Southwark": 307, "Sutton": 209,
    "Tower Hamlets": 310, "Waltham Forest": 279, "Wandsworth": 328, "Westminster": 205,
}
CENTRAL = {"Westminster": 2.5, "Camden": 1.5, "Kensington and Chelsea": 1.3}   # West End crowds and shops

# Relative crime volume by Bromley ward: town centres high, the rural south low.
WARD_WEIGHTS = {
    "Beckenham Town & Copers Cope": 1.3, "Bickley & Sundridge": 0.8, "Biggin Hill": 0.5,
    "Bromley Common & Holwood": 1.0, "Bromley Town": 2.6, "Chelsfield": 0.6, "Chislehurst": 0.8,
    "Clock House": 0.9, "Crystal Palace & Anerley": 1.4, "Darwin": 0.35, "Farnborough & Crofton": 0.6,
    "Hayes & Coney Hall": 0.7, "Kelsey & Eden Park": 0.8, "Mottingham": 1.0, "Orpington": 1.8,
    "Penge & Cator": 1.5, "Petts Wood & Knoll": 0.7, "Plaistow": 1.1, "Shortlands & Park Langley": 0.7,
    "St Mary Cray": 1.4, "St Paul's Cray": 1.2, "West Wickham": 0.8,
}
TOWN_CENTRES = {"Bromley Town": 2.5, "Orpington": 1.8, "Beckenham Town & Copers Cope": 1.4}


@dataclass(frozen=True)
class Profile:
    """How a category's expected monthly count is built."""

    rate: float                    # per 1000 residents per year, London-wide, at TREND_ANCHOR
    inner: float = 1.0             # multiplier in Inner London boroughs
    outer: float = 1.0             # multiplier in Outer London boroughs
    season: str = "flat"           # summer | winter | flat
    trend: float = 0.0             # change in log rate per year
    lockdown: str = "most"
    central: bool = False          # much higher in the West End boroughs
    airport: float = 0.0           # rate multiplier at the airports


def _misc(rate: float, airport: float = 0.0) -> Profile:
    """A rare Miscellaneous Crimes Against Society minor category."""
    return Profile(rate, 1.1, 0.95, lockdown="none", airport=airport)


def _read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a small configuration CSV in data/."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def _profiles() -> dict[str, Profile]:
    """Each MPS minor category's demo profile, from data/demo_profiles.csv (one row per category, Profile's fields)."""
    types = {f.name: f.type for f in fields(Profile)}
    cast = {"float": float, "str": str, "bool": lambda v: v == "True"}
    return {row.pop("minor_category"): Profile(**{k: cast[types[k]](v) for k, v in row.items()})
            for row in _read_rows(DATA_DIR / "demo_profiles.csv")}


PROFILES: dict[str, Profile] = _profiles()
DEFAULT_PROFILE = _misc(0.01)

# Long-format series: (file name, category, profile); boroughs only.
LONG_SERIES: tuple[tuple[str, str, Profile], ...] = (
    ("asb_calls_demo.csv", "ASB calls", Profile(25.0, 1.15, 0.92, "summer", -0.01, "asb")),
    ("hate_crime_demo.csv", "Hate crime", Profile(1.5, 1.4, 0.8, "summer", 0.04)),
    ("domestic_abuse_demo.csv", "Domestic abuse", Profile(10.0, 1.05, 0.97, "summer", 0.05, "domestic")),
    ("knife_crime_demo.csv", "Knife crime", Profile(1.2, 1.5, 0.75, "summer", 0.01, "street")),
)

POPULATION_FILE = "population_demo.csv"
BOROUGH_FILE = "mps_borough_level_crime_demo.csv"
WARD_FILE = "mps_ward_level_crime_demo.csv"
_LONG_NAMES = tuple(name for name, _, _ in LONG_SERIES)
# The partner figures of the Safer Bromley Partnership's 2021/22 Priority 1 report, as the partnership wrote them: not
# synthetic, shipped in data/ and loaded with the demo so its objectives are evidenced (docs/data-formats.md).
PARTNER_FILE = "partner_priority1_2021-22.csv"
DEMO_FILES = (POPULATION_FILE, BOROUGH_FILE, WARD_FILE, *_LONG_NAMES, PARTNER_FILE)


def build_demo(
    db: str | os.PathLike | None = None,
    progress: Callable[[str], None] | None = None,
    seed: int = DEMO_SEED,
) -> list[FileSummary]:
    """Build (or rebuild) a synthetic store at db; refuse to overwrite a store holding real data."""
    path = store.resolve_db_path(db)
    if store.exists(path):
        try:
            con = store.connect_read(path)
            try:
                reason = _not_demo(con)
            finally:
                con.close()
        except duckdb.Error:
            reason = "a store that is not the synthetic demo"
        if reason:
            raise SbpError(f"{path} holds {reason}; use --db to choose another path or delete it.")
    with tempfile.TemporaryDirectory(prefix="sbp-demo-") as tmp:
        if progress:
            progress(f"writing synthetic extracts (seed {seed})")
        paths = [*write_demo_extracts(Path(tmp), seed=seed), DATA_DIR / PARTNER_FILE]
        meta = {"is_synthetic": "true", "demo_seed": str(seed)}
        return ingest(paths, path, progress=progress, meta=meta, fresh=True)


def _not_demo(con: duckdb.DuckDBPyConnection) -> str:
    """Why the store behind con must not be replaced by the demo, or '' when it may."""
    if not store.is_synthetic(con):
        return "a store that is not the synthetic demo"
    # Belt and braces: ingest() replaces the demo when real files arrive, so this should never match.
    # Partner figures may be loaded beside the demo (they never replace it); they are not real police data.
    rows = con.execute(f"SELECT DISTINCT file_name FROM source_files WHERE file_format <> '{PARTNER}' ORDER BY 1").fetchall()
    others = [name for (name,) in rows if name not in DEMO_FILES]
    return f"real data ({others[0]}) loaded on top of the demo" if others else ""


def write_demo_extracts(out_dir: Path, seed: int = DEMO_SEED, end_month: str = "2023-11", years: int = 14) -> list[Path]:
    """Write the synthetic extracts into out_dir and return their paths, population first."""
    months = _months(end_month, years)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    boroughs = _read_rows(DATA_DIR / "boroughs.csv")
    categories = [(r["major_category"], r["minor_category"]) for r in _read_rows(DATA_DIR / "mps_categories.csv")]
    wards = [(r["ward_name"], r["ward_code"]) for r in _read_rows(DATA_DIR / "wards.csv") if r["borough"] == HOME_BOROUGH]
    names = [r["borough"] for r in boroughs]
    inner = np.array([r["inner_outer"].strip().lower() == "inner" for r in boroughs])
    home = names.index(HOME_BOROUGH) if HOME_BOROUGH in names else None

    rng = np.random.default_rng(seed)
    population = _populations(rng, names, home)
    borough_level = rng.lognormal(0.0, BOROUGH_SIGMA, len(names))
    if home is not None:
        # Keep the partnership's own borough at the reference level so its figures look familiar for any seed.
        borough_level[home] = 1.0
    profiles = [PROFILES.get(minor, DEFAULT_PROFILE) for _, minor in categories]
    expected = _expected_counts(rng, profiles, months, names, inner, population, borough_level, home, airports=True)
    counts = rng.poisson(expected)

    areas = [*names, AIRPORTS]
    paths = [_write_population(out_dir / POPULATION_FILE, names, population)]
    borough_path = out_dir / BOROUGH_FILE
    ward_rows: list[list[object]] = []
    ward_months = months[-min(WARD_MONTHS, len(months)):]
    if home is not None and wards:
        ward_counts = _split_to_wards(rng, counts, expected, categories, home, [w for w, _ in wards], len(ward_months))
        ward_rows = [
            [major, minor, ward, code, HOME_BOROUGH, *ward_counts[c, w].tolist()]
            for w, (ward, code) in sorted(enumerate(wards), key=lambda item: item[1][0])
            for c, (major, minor) in enumerate(categories)
            if ward_counts[c, w].any()
        ]
    borough_rows = [
        [major, minor, areas[a], *counts[c, a].tolist()]
        for a in sorted(range(len(areas)), key=lambda i: areas[i])
        for c, (major, minor) in enumerate(categories)
        if counts[c, a].any()
    ]
    borough_header = ["MajorText", "MinorText", "LookUp_BoroughName", *(f"{y}{m:02d}" for y, m in months)]
    _write_csv(borough_path, borough_header, borough_rows)
    paths.append(borough_path)
    ward_path = out_dir / WARD_FILE
    ward_header = ["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName"]
    ward_header += [f"{y}{m:02d}" for y, m in ward_months]
    _write_csv(ward_path, ward_header, ward_rows)
    paths.append(ward_path)

    labels = [f"{y}-{m:02d}" for y, m in months]
    for file_name, category, profile in LONG_SERIES:
        expected = _expected_counts(rng, [profile], months, names, inner, population, borough_level, home, airports=False)
        series = rng.poisson(expected)[0]
        rows = ([label, names[a], category, int(series[a, m])] for m, label in enumerate(labels) for a in range(len(names)))
        _write_csv(out_dir / file_name, ["month", "area", "category", "count"], rows)
        paths.append(out_dir / file_name)
    return paths


def _months(end_month: str, years: int) -> list[tuple[int, int]]:
    """The (year, month) pairs of the years*12 months ending at end_month, oldest first."""
    match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", end_month)
    if not match:
        raise SbpError(f"end month {end_month!r} is not a month; use YYYY-MM, e.g. 2023-11")
    if years < 1:
        raise SbpError(f"the demo needs at least one year of months, not {years}")
    end = int(match[1]) * 12 + int(match[2]) - 1
    return [(i // 12, i % 12 + 1) for i in range(end - years * 12 + 1, end + 1)]


def _populations(rng: np.random.Generator, names: Sequence[str], home: int | None) -> np.ndarray:
    """Synthetic 2021 resident populations, rounded to 100."""
    base = np.array([BOROUGH_SIZES.get(name, 250) * 1000.0 for name in names])
    jittered = np.clip(base * rng.lognormal(0.0, 0.04, len(names)), 150_000, 400_000)
    population = (np.round(jittered / 100) * 100).astype(np.int64)
    if home is not None:
        population[home] = HOME_POPULATION
    return population


def _time_factors(profiles: Sequence[Profile], months: Sequence[tuple[int, int]], airports: bool = False) -> np.ndarray:
    """Seasonality x trend x lockdown for each profile and month, shape (profiles, months)."""
    when = np.array([y + (m - 1) / 12 for y, m in months]) - TREND_ANCHOR
    month_no = np.array([m for _, m in months])
    phase = np.array([_lockdown_phase(y, m) for y, m in months])
    out = np.empty((len(profiles), len(months)))
    for i, p in enumerate(profiles):
        season = 1.0
        if p.season in SEASON_PEAK:
            season = 1.0 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (month_no - SEASON_PEAK[p.season]) / 12)
        first, second = AIRPORT_LOCKDOWN if airports else LOCKDOWN[p.lockdown]
        lockdown = np.choose(phase, [1.0, first, (1.0 + second) / 2, second])
        out[i] = season * np.exp(p.trend * when) * lockdown
    return out


def _lockdown_phase(year: int, month: int) -> int:
    """0 normal, 1 first lockdown (Apr-Jun 2020), 2 the summer 2020 easing, 3 the winter 2020-21 lockdowns."""
    if year == 2020 and 4 <= month <= 6:
        return 1
    if year == 2020 and 7 <= month <= 10:
        return 2
    if (year == 2020 and month >= 11) or (year == 2021 and month <= 3):
        return 3
    return 0


def _expected_counts(
    rng: np.random.Generator,
    profiles: Sequence[Profile],
    months: Sequence[tuple[int, int]],
    names: Sequence[str],
    inner: np.ndarray,
    population: np.ndarray,
    borough_level: np.ndarray,
    home: int | None,
    airports: bool,
) -> np.ndarray:
    """Expected monthly counts, shape (categories, boroughs [+ airports], months)."""
    mix = rng.lognormal(0.0, CATEGORY_SIGMA, (len(profiles), len(names)))
    if home is not None:
        mix[:, home] = 1.0
    central = np.array([CENTRAL.get(name, 1.0) for name in names])
    annual = np.empty((len(profiles), len(names) + (1 if airports else 0)))
    for c, p in enumerate(profiles):
        per_1000 = p.rate * np.where(inner, p.inner, p.outer) * (central if p.central else 1.0)
        annual[c, : len(names)] = per_1000 * borough_level * mix[c] * population / 1000
        if airports:
            annual[c, -1] = p.rate * p.airport * AIRPORT_POPULATION / 1000
    expected = annual[:, :, None] / 12 * _time_factors(profiles, months)[:, None, :]
    if airports:
        expected[:, -1, :] *= _time_factors([Profile(0.0)], months, airports=True)[0]
    return expected


def _split_to_wards(
    rng: np.random.Generator,
    counts: np.ndarray,
    expected: np.ndarray,
    categories: Sequence[tuple[str, str]],
    home: int,
    wards: Sequence[str],
    n_months: int,
) -> np.ndarray:
    """Split the home borough's recent counts into wards, shape (categories, wards, months).

    Adds a spike in the latest month for one ward and category to both the ward and the borough counts.
    """
    weights = np.array([WARD_WEIGHTS.get(ward, 1.0) for ward in wards])
    town = np.array([TOWN_CENTRES.get(ward, 1.0) for ward in wards])
    shares = weights * rng.lognormal(0.0, WARD_SIGMA, (len(categories), len(wards)))
    for c, (_, minor) in enumerate(categories):
        if minor in ("Shoplifting", "Other Theft", "Theft from Person"):
            shares[c] *= town
    shares /= shares.sum(axis=1, keepdims=True)

    extra = np.zeros((len(categories), n_months), dtype=np.int64)
    if SPIKE_WARD in wards and SPIKE_CATEGORY in [minor for _, minor in categories]:
        c = [minor for _, minor in categories].index(SPIKE_CATEGORY)
        w = list(wards).index(SPIKE_WARD)
        usual = expected[c, home, -1] * (1 - UNLOCATED_SHARE) * shares[c, w]
        extra[c, -1] = rng.poisson(usual * (SPIKE_FACTOR - 1))
        counts[c, home, -1] += extra[c, -1]

    recent = counts[:, home, -n_months:] - extra
    located = recent - rng.binomial(recent, UNLOCATED_SHARE)
    out = np.empty((len(categories), len(wards), n_months), dtype=np.int64)
    for c in range(len(categories)):
        out[c] = rng.multinomial(located[c], shares[c]).T
    if extra.any():
        out[:, list(wards).index(SPIKE_WARD), :] += extra
    return out


def _write_population(path: Path, names: Sequence[str], population: np.ndarray) -> Path:
    """Write the area,population,year file."""
    _write_csv(path, ["area", "population", "year"], ([n, int(p), POPULATION_YEAR] for n, p in zip(names, population)))
    return path


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a UTF-8 CSV with the csv module's minimal quoting."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator=LINE_END)
        writer.writerow(header)
        writer.writerows(rows)
