"""MPS category schemes: which loaded categories a measure counts, and in which schemes it is defined at all.

The MPS has published its categories in more than one scheme (the 2021-23 mixed-case names; since 2024 upper-case
names with renamed, split and merged categories). data/category_crosswalk.csv lists every minor category of every
scheme with its comparable group: the smallest set of categories on which the schemes agree (e.g. 2021-23
"Violence without Injury" = current VIOLENCE WITHOUT INJURY + STALKING AND HARASSMENT). Names match in any case.

A measure that names every category of a group in one scheme counts the whole group in every scheme. A measure
that names only part of a group (knife possession, one of six weapons minors) is defined only in schemes where
it names some of that group's categories; in a month of another scheme it is unknown, never zero.
"""

from __future__ import annotations

from collections import defaultdict

from sbp.config import Config, Measure

ANY_SCHEME = ""  # a month whose categories belong to no one scheme (or a non-MPS source): every measure is defined


def _named(measure: Measure, config: Config) -> tuple[set[str], set[str]]:
    majors = {s.lower() for name in measure.majors for s in config.spellings("major", name)}
    minors = {s.lower() for name in measure.minors for s in config.spellings("minor", name)}
    return majors, minors


_RESOLVED: dict[tuple[Measure, int], tuple[Config, tuple[frozenset[str], frozenset[str], tuple[str, ...]]]] = {}


def resolve(measure: Measure, config: Config) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """(major names, minor names) the measure counts, lower case, and the schemes it is defined in ('' always)."""
    known = _RESOLVED.get((measure, id(config)))
    if known is None or known[0] is not config:
        if len(_RESOLVED) > 4096:
            _RESOLVED.clear()
        known = _RESOLVED[(measure, id(config))] = (config, _resolve(measure, config))
    return known[1]


def _resolve(measure: Measure, config: Config) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    majors, minors = _named(measure, config)
    groups: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for row in config.crosswalk:
        named = row.minor_category.lower() in minors or row.major_category.lower() in majors
        groups[row.comparable][row.scheme].append(named)
    selected = {g for g, by_scheme in groups.items() if any(all(flags) for flags in by_scheme.values())}
    counted = set(minors) | {r.minor_category.lower() for r in config.crosswalk if r.comparable in selected}
    touched = {g: by_scheme for g, by_scheme in groups.items() if any(any(f) for f in by_scheme.values())}
    schemes = [ANY_SCHEME]
    for scheme in sorted({r.scheme for r in config.crosswalk}):
        # Defined when every partly named group has named categories in this scheme, and something is counted in it
        # (a wholly named group the scheme lacks, e.g. DEATH SERIOUS INJURY ILLEGAL DRIVING in 2021-23, is no obstacle
        # to a measure of all violence against the person, but is the end of a measure of that category alone).
        partial_ok = all(any(by_scheme.get(scheme, ())) for g, by_scheme in touched.items() if g not in selected)
        counted_here = any(scheme in by_scheme for g, by_scheme in touched.items())
        if measure.all or not touched or (partial_ok and counted_here):
            schemes.append(scheme)
    return frozenset(majors), frozenset(counted), tuple(schemes)


def scheme_categories(config: Config, scheme: str) -> tuple[tuple[str, str], ...]:
    """The (major, minor) categories an MPS category scheme publishes, as data/category_crosswalk.csv lists them."""
    return tuple((r.major_category, r.minor_category) for r in config.crosswalk if r.scheme == scheme)


def categories_for(measure: Measure, config: Config, scheme: str) -> tuple[tuple[str, str], ...] | None:
    """The (major, minor) categories of a scheme's published list that a measure counts, in crosswalk order.

    None when the measure is not defined in the scheme (unknown in its months, never 0); () for a measure that counts
    no MPS category (Monthly Crime Dashboard subtypes, series, police.uk). The same selection as the product's
    measure_map (sbp.metrics.materialized.measure_rows), which tests/unit/test_measure_schemes.py checks; a
    difference measure's subtracted part is not included.
    """
    majors, minors, defined = resolve(measure, config)
    if scheme not in defined:
        return None
    return tuple((major, minor) for major, minor in scheme_categories(config, scheme)
                 if measure.all or major.lower() in majors or minor.lower() in minors)


def scheme_markers(config: Config) -> list[tuple[str, str]]:
    """(lower-case minor name, scheme) for the names found in exactly one scheme: they tell a month's scheme."""
    schemes_of: dict[str, set[str]] = defaultdict(set)
    for row in config.crosswalk:
        schemes_of[row.minor_category.lower()].add(row.scheme)
    return sorted((name, next(iter(s))) for name, s in schemes_of.items() if len(s) == 1)


def undefined_schemes(measure: Measure, config: Config) -> list[str]:
    """The schemes in which the measure has no meaning (e.g. knife possession in the current scheme)."""
    defined = set(resolve(measure, config)[2])
    return sorted({r.scheme for r in config.crosswalk} - defined)
