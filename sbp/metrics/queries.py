"""Every SQL query the metrics layer runs, in one place (the store's own statements are in sbp/store/queries.py).

Queries read two small frames registered per call: measure_map (measure_id, source, major_category,
minor_category, sign: the exact category pairs each measure counts, sign -1 for those a difference measure
subtracts) and measure_info (measure_id, direction, denominator, schemes: the MPS category schemes the measure is
defined in, parts: 2 for a difference measure, whose two parts must both be loaded, else 1). Values are bound as $parameters; no identifier is ever built from user input.
"""

from sbp.config.sources import LONG_COUNTS, MPS_DASHBOARD, POLICE_UK
from sbp.metrics.intervals import TREND_POINTS, limit_columns, limit_names


def month_grid(first: str, last: str, back: str = "23") -> str:
    """The measure_sources and months steps: every month from `back` (SQL: a number of months) before $first to
    $last (parameter names only), from the first month loaded at $level on when `back` reaches further than the two
    rolling years (earlier months are unknown either way)."""
    start = f"(${first} - INTERVAL {back} MONTH)::DATE"
    if back != "23":
        start = (f"greatest((${first} - to_months({back}))::DATE, "
                 "(SELECT min(month) FROM month_index WHERE area_level = $level))")
    return f"""measure_sources AS (SELECT DISTINCT measure_id, source, sign FROM measure_map),
months AS (
    SELECT unnest(generate_series({start}, ${last}, INTERVAL 1 MONTH))::DATE AS month
)"""


# The one denominator rule, shared by every rate: each measure's denominator where loaded at the level (e.g.
# households), otherwise residents; per area and year (0 = undated, applies to every year). A query joins it
# ASOF on year(period end) >= year, so a period uses its year's figure or the latest earlier one.
MEASURE_POPULATION = """
has_denominator AS (
    SELECT DISTINCT denominator FROM population WHERE area_level = $level
),
measure_pop AS (
    SELECT i.measure_id, p.area_name, coalesce(p.year, 0) AS year, p.population
    FROM measure_info i JOIN population p ON p.area_level = $level
     AND p.denominator = CASE WHEN i.denominator IN (SELECT denominator FROM has_denominator)
                              THEN i.denominator ELSE 'residents' END
)"""

# Where a measure's MPS Monthly Crime Dashboard figures are loaded for a month (at that level), its long-format
# series rows for the same month are not counted as well: they are the same offences reshaped by hand before the
# workbook could be read, and the published workbook wins. A condition on crime_counts c joined to measure_map m.
NOT_SUPERSEDED = f"""NOT (m.source = '{LONG_COUNTS}' AND EXISTS (
        SELECT 1 FROM measure_map d JOIN month_index mi ON mi.source = d.source
        WHERE d.measure_id = m.measure_id AND d.source = '{MPS_DASHBOARD}' AND mi.month = c.month
          AND mi.area_level = c.area_level))"""

# The one coverage rule ("a month is known"), shared by the comparison, the series, the exceptions and the cube.
# A month is known for an area and a measure only when the file that covers that area for that measure has it: an
# MPS file or the workbook for a London area (the source as a whole), that force's own police.uk files for a
# police.uk area (month_index.unit: the force; another force's months never stand in), in a category scheme the
# measure is defined in; a difference measure needs both of its parts. Reads an `areas` step with a `unit` column
# (areas_step) and the months step; gives `loaded` (measure_id, unit, month, is_loaded 0/1) and `unit_sources` (the
# sources that cover each unit's areas, which MONTHLY's grid also requires).
KNOWN_MONTHS = f"""
units AS (SELECT DISTINCT unit FROM areas),
unit_sources AS (
    -- The sources that cover a unit's areas: those any of its areas appears in (an area a London-wide file does not
    -- list had none there, 0; an MPS measure in a police.uk force's area is unknown, never 0).
    SELECT unit, list(DISTINCT source) AS sources FROM (SELECT unit, unnest(sources) AS source FROM areas) GROUP BY unit
),
loaded AS (
    SELECT mo.month, i.measure_id, u.unit,
           ((SELECT count(DISTINCT ms.sign) FROM measure_sources ms JOIN month_index mi ON mi.source = ms.source
             WHERE ms.measure_id = i.measure_id AND mi.area_level = $level AND mi.month = mo.month
               AND mi.unit = CASE WHEN ms.source = '{POLICE_UK}' THEN u.unit ELSE '' END
               AND list_has_all(i.schemes, string_split(mi.scheme, ',')))
            = i.parts)::INTEGER AS is_loaded
    FROM months mo CROSS JOIN measure_info i CROSS JOIN units u
)"""


def areas_step(condition: str) -> str:
    """The areas step: the areas at $level (in $within when given) with their publishing unit and comparator group.

    condition narrows them further (SQL over area_index a and area_group g). A police.uk area's unit is its force;
    an area in no group (a force's strays into a neighbour) has no group at borough level.
    """
    return f"""areas AS (
    SELECT a.area_name, a.borough, coalesce(g.group_name, '') AS group_name, coalesce(f.force, '') AS unit,
           list(DISTINCT a.source) AS sources
    FROM area_index a
    LEFT JOIN area_group g ON $level = 'borough' AND g.area_name = a.area_name
    LEFT JOIN area_force f ON f.area_name = CASE WHEN $level = 'borough' THEN a.area_name ELSE a.borough END AND NOT f.stray
    WHERE a.area_level = $level AND ($within IS NULL OR a.borough = $within) AND {condition}
    GROUP BY ALL
)"""


# Each measure's monthly count per area (the areas step's) over the months step's window.
MONTHLY = f"""
monthly AS (
    SELECT m.measure_id, c.area_name, c.borough, c.month, sum(c.offence_count * m.sign) AS offence_count
    FROM crime_counts c
    JOIN measure_map m
      ON c.source = m.source AND c.major_category = m.major_category AND c.minor_category = m.minor_category
    WHERE c.area_level = $level AND c.month BETWEEN (SELECT min(month) FROM months) AND (SELECT max(month) FROM months)
      AND EXISTS (SELECT 1 FROM areas a WHERE a.area_name = c.area_name AND a.borough = c.borough)
      AND {NOT_SUPERSEDED}
    GROUP BY ALL
),
grid AS (
    -- Every measure x area x month: the count where the month is known for the area's unit, else NULL (never 0).
    -- A negative difference (more domestic abuse violence with injury than violence with injury) is a data
    -- error: never a count, flagged in negative_count.
    SELECT i.measure_id, a.area_name, a.borough, a.group_name, a.unit, mo.month,
           CASE WHEN l.is_loaded = 1 AND EXISTS (SELECT 1 FROM measure_sources ms WHERE ms.measure_id = i.measure_id
                                                 AND list_contains(us.sources, ms.source))
                THEN coalesce(mm.offence_count, 0) END AS offence_count
    FROM measure_info i CROSS JOIN areas a CROSS JOIN months mo
    JOIN unit_sources us ON us.unit = a.unit
    JOIN loaded l ON l.measure_id = i.measure_id AND l.unit = a.unit AND l.month = mo.month
    LEFT JOIN monthly mm
      ON mm.measure_id = i.measure_id AND mm.area_name = a.area_name AND mm.borough = a.borough AND mm.month = mo.month
)"""

# The trend test's earlier years (the 3rd to the TREND_POINTS-th rolling year back from each end month): each one's
# window over the grid, its count (known only with all 12 months) and its denominator (the one rule, that year's).
_EARLIER = range(3, TREND_POINTS + 1)
_EARLIER_WINDOWS = ",\n           ".join(
    f"w_year{k} AS (PARTITION BY measure_id, area_name, borough ORDER BY month "
    f"ROWS BETWEEN {12 * k - 1} PRECEDING AND {12 * k - 12} PRECEDING)" for k in _EARLIER)
_EARLIER_SUMS = "".join(f"""
           CASE WHEN count(offence_count) OVER w_year{k} = 12 AND sum(offence_count) OVER w_year{k} >= 0
                THEN sum(offence_count) OVER w_year{k} END AS year{k},""" for k in _EARLIER)
# Each area's denominator per calendar year a comparison reads (the one rule above: that year's figure or the latest
# earlier one), with the TREND_POINTS - 1 years before it on the same row (back_1 ...): one equi-join per comparison
# row instead of an ASOF join per rolling year (several times faster).
_BACK = range(1, TREND_POINTS)
AREA_YEAR_BACK = f"""
area_year_back AS (
    SELECT measure_id, area_name, year, population,
           {", ".join(f"lag(population, {b}) OVER w AS back_{b}" for b in _BACK)}
    FROM (
        SELECT i.measure_id, a.area_name, y.year, p.population
        FROM measure_info i CROSS JOIN (SELECT DISTINCT area_name FROM areas) a
        CROSS JOIN (SELECT unnest(generate_series(year($first_end) - {TREND_POINTS - 1}, year($last_end))) AS year) y
        ASOF LEFT JOIN measure_pop p ON p.measure_id = i.measure_id AND p.area_name = a.area_name AND y.year >= p.year
    )
    WINDOW w AS (PARTITION BY measure_id, area_name ORDER BY year)
)"""
# (A level without populations, ranked by count, has no rates and so no trend: its grid needs only two years.)
# Chi-squared test for linear trend in rates over the TREND_POINTS years (docs/definitions.md, "Trend"): x = -2..2
# from the earliest year; expected E_i = population_i x total / total population; z = sum x (O - E) /
# sqrt(sum x^2 E - (sum x E)^2 / total), the signed square root of the 1-degree-of-freedom statistic; 0 when no
# offences in any year; NULL unless every year's count and population are known.
_TREND_YEARS = [("current", "population", 2), ("previous", "population_previous", 1)] + [
    (f"year{k}", f"population_{k}", 2 - (k - 1)) for k in _EARLIER]
_KNOWN = " AND ".join(f"{c} IS NOT NULL AND {p} > 0" for c, p, _ in _TREND_YEARS)
_OBSERVED = " + ".join(c for c, _, _ in _TREND_YEARS)
_PEOPLE = " + ".join(p for _, p, _ in _TREND_YEARS)
_U = " + ".join(f"{x} * ({c} - {p} * t_share)" for c, p, x in _TREND_YEARS if x)
_XE = " + ".join(f"{x} * {p}" for _, p, x in _TREND_YEARS if x)
_XXE = " + ".join(f"{x * x} * {p}" for _, p, x in _TREND_YEARS if x)
TREND_Z = f"""CASE WHEN {_KNOWN} THEN CASE WHEN t_observed > 0
                THEN ({_U}) / sqrt(({_XXE}) * t_share - pow(({_XE}) * t_share, 2) / t_observed) ELSE 0 END END"""

# Rolling-year comparisons for every measure x area x end month in [$first_end, $last_end]:
# counts, rates with their confidence limits (sbp/metrics/intervals.py), ranks (this year and a year earlier), the
# comparator group's totals and rate with its limits, and the trend test's statistic, in one set-based query.
# A comparator total (and rate) is known only when every area of the group is known: never a partial sum.
COMPARISON_SQL = f"""
WITH
{month_grid("first_end", "last_end", back=f"CASE WHEN $rank_by_rate THEN {12 * TREND_POINTS - 1} ELSE 23 END")},
{areas_step("a.source IN (SELECT source FROM measure_sources) AND ($level <> 'borough' OR g.group_name IS NOT NULL) AND a.last_month >= ($first_end - INTERVAL 23 MONTH)::DATE AND a.first_month <= $last_end")},
{KNOWN_MONTHS},
{MONTHLY},
sums AS (
    SELECT measure_id, area_name, borough, group_name, month AS end_month,
           CASE WHEN count(offence_count) OVER w_current = 12 THEN sum(offence_count) OVER w_current END AS current_sum,
           CASE WHEN count(offence_count) OVER w_previous = 12 THEN sum(offence_count) OVER w_previous END AS previous_sum,{_EARLIER_SUMS}
    FROM grid
    WINDOW w_current AS (PARTITION BY measure_id, area_name, borough ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW),
           w_previous AS (PARTITION BY measure_id, area_name, borough ORDER BY month ROWS BETWEEN 23 PRECEDING AND 12 PRECEDING),
           {_EARLIER_WINDOWS}
    QUALIFY month >= $first_end
),
rolling AS (
    -- A rolling year counts only when all 12 of its months are known; otherwise it is unknown, not zero.
    SELECT *,
           CASE WHEN current_sum >= 0 THEN current_sum END AS current,
           CASE WHEN previous_sum >= 0 THEN previous_sum END AS previous,
           coalesce(current_sum < 0, false) OR coalesce(previous_sum < 0, false) AS negative_count
    FROM sums
),
{MEASURE_POPULATION},
{AREA_YEAR_BACK},
with_pop AS (
    SELECT r.*, p.population, p.back_1 AS population_previous,
           {", ".join(f"p.back_{k - 1} AS population_{k}" for k in _EARLIER)}
    FROM rolling r
    LEFT JOIN area_year_back p
      ON p.measure_id = r.measure_id AND p.area_name = r.area_name AND p.year = year(r.end_month)
),
rated AS (
    SELECT *, current * 1000.0 / population AS rate_per_1000,
              previous * 1000.0 / population_previous AS rate_per_1000_previous,
              CASE WHEN $rank_by_rate THEN round(current * 1000.0 / population, 9) ELSE current END AS rank_key,
              CASE WHEN $rank_by_rate THEN round(previous * 1000.0 / population_previous, 9) ELSE previous END AS rank_key_previous,
              ({_OBSERVED})::DOUBLE AS t_observed,
              ({_OBSERVED}) / ({_PEOPLE}) AS t_share
    FROM with_pop
),
group_totals AS (
    -- (A GROUP BY joined back, not windows over the same partitions: several times faster in DuckDB.)
    SELECT measure_id, end_month, group_name,
           -- The group's total sums its areas' counts as counted (an area's negative difference included: the
           -- parts were recorded under different areas), known only when every area's 12 months are.
           CASE WHEN count(current_sum) = count(*) AND sum(current_sum) >= 0 THEN sum(current_sum) END AS group_current,
           CASE WHEN count(previous_sum) = count(*) AND sum(previous_sum) >= 0 THEN sum(previous_sum) END AS group_previous,
           -- The comparator's rate: its total over the populations of its areas that have one (docs/definitions.md).
           sum(population) AS group_population,
           sum(population_previous) AS group_population_previous,
           count(rank_key) AS rank_of, count(rank_key_previous) AS rank_of_previous
    FROM rated
    GROUP BY measure_id, end_month, group_name
)
SELECT measure_id, area_name, borough, end_month, current, previous, current - previous AS change,
       nullif(group_name, '') AS comparator_name,
       CASE WHEN previous > 0 THEN (current - previous) * 100.0 / previous END AS pct_change,
       population, rate_per_1000, rate_per_1000_previous, negative_count,
       CASE WHEN rank_key IS NOT NULL THEN rank() OVER by_key END AS rank,
       rank_of,
       rank_key IS NOT NULL AND (coalesce(lag(rank_key) OVER by_key = rank_key, false)
                                 OR coalesce(lead(rank_key) OVER by_key = rank_key, false)) AS rank_tied,
       CASE WHEN rank_key_previous IS NOT NULL THEN rank() OVER by_key_previous END AS rank_previous,
       rank_of_previous,
       group_current AS comparator_current, group_previous AS comparator_previous,
       group_current * 1000.0 / group_population AS comparator_rate_per_1000,
       group_previous * 1000.0 / group_population_previous AS comparator_rate_per_1000_previous,
       {limit_columns("current", "population")},
       {limit_columns("group_current", "group_population", "comparator_rate")},
       {TREND_Z} AS trend_z
FROM rated JOIN group_totals USING (measure_id, end_month, group_name)
WINDOW by_key AS (PARTITION BY measure_id, end_month, group_name ORDER BY rank_key NULLS LAST),
       by_key_previous AS (PARTITION BY measure_id, end_month, group_name ORDER BY rank_key_previous NULLS LAST)
ORDER BY measure_id, end_month, rank NULLS LAST, area_name
"""

# Monthly counts for chosen areas and comparator groups per measure, with the rolling 12-month total, the same
# month a year earlier and both as rates per 1,000 (the one denominator rule above). A comparator line ($comparators:
# group names of area_group) is the sum over its group's areas, as the comparison's comparator total: known in a
# month only when every one of its areas is, with the populations of its areas that have one.
SERIES_SQL = f"""
WITH
{month_grid("from_month", "to_month")},
wanted AS (SELECT unnest($areas::VARCHAR[]) AS area_name),
members AS (
    SELECT area_name, group_name FROM area_group
    WHERE $level = 'borough' AND group_name IN (SELECT unnest($comparators::VARCHAR[]))
),
{areas_step("(a.area_name IN (SELECT area_name FROM wanted) OR a.area_name IN (SELECT area_name FROM members))")},
{KNOWN_MONTHS},
{MONTHLY},
{MEASURE_POPULATION},
area_year_pop AS (
    -- Each area's denominator per calendar year of the window (the one rule: that year's or the latest earlier).
    SELECT i.measure_id, a.area_name, y.year, p.population
    FROM measure_info i CROSS JOIN (SELECT DISTINCT area_name FROM areas) a
    CROSS JOIN (SELECT DISTINCT year(month) AS year FROM months) y
    ASOF LEFT JOIN measure_pop p ON p.measure_id = i.measure_id AND p.area_name = a.area_name AND y.year >= p.year
),
lines AS (
    SELECT measure_id, area_name, month, CASE WHEN offence_count >= 0 THEN offence_count END AS offence_count
    FROM grid WHERE area_name IN (SELECT area_name FROM wanted)
    UNION ALL
    SELECT g.measure_id, m.group_name, g.month,
           CASE WHEN count(g.offence_count) = count(*) AND sum(g.offence_count) >= 0 THEN sum(g.offence_count) END
    FROM grid g JOIN members m ON m.area_name = g.area_name
    GROUP BY ALL
),
line_pop AS (
    SELECT measure_id, area_name, year, population FROM area_year_pop WHERE area_name IN (SELECT area_name FROM wanted)
    UNION ALL
    SELECT p.measure_id, m.group_name, p.year, sum(p.population)
    FROM area_year_pop p JOIN members m ON m.area_name = p.area_name
    GROUP BY ALL
),
rolled AS (
    SELECT l.measure_id, l.area_name, l.month, l.offence_count, p.population,
           CASE WHEN count(l.offence_count) OVER w12 = 12 THEN sum(l.offence_count) OVER w12 END AS rolling_12_total,
           lag(l.offence_count, 12) OVER (PARTITION BY l.measure_id, l.area_name ORDER BY l.month) AS offence_count_year_before
    FROM lines l
    LEFT JOIN line_pop p ON p.measure_id = l.measure_id AND p.area_name = l.area_name AND p.year = year(l.month)
    WINDOW w12 AS (PARTITION BY l.measure_id, l.area_name ORDER BY l.month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
    QUALIFY l.month >= $from_month
)
SELECT measure_id, area_name, month, offence_count, rolling_12_total, offence_count_year_before, population,
       offence_count * 1000.0 / population AS rate_per_1000,
       rolling_12_total * 1000.0 / population AS rolling_12_rate_per_1000
FROM rolled
ORDER BY measure_id, area_name, month
"""

# The same comparisons for the configured measures, materialised at ingest time (see sbp/metrics/materialized.py),
# with the configuration fingerprint they were built under.
CUBE_DROP_SQL = "DROP TABLE IF EXISTS comparison_cache; DELETE FROM store_meta WHERE key = 'comparison_cache_key'"
CUBE_MEASURE_TABLES_SQL = """
CREATE OR REPLACE TEMP TABLE measure_map (measure_id VARCHAR, source VARCHAR, major_category VARCHAR,
                                          minor_category VARCHAR, sign INTEGER);
CREATE OR REPLACE TEMP TABLE measure_info (measure_id VARCHAR, direction VARCHAR, denominator VARCHAR,
                                           schemes VARCHAR[], parts INTEGER);
CREATE OR REPLACE TEMP TABLE area_group (area_name VARCHAR, group_name VARCHAR);
"""
CUBE_CREATE_SQL = f"CREATE TEMP TABLE comparison_counts AS {COMPARISON_SQL}"
# What the rules (sbp/metrics/rules.py) read from each stored comparison: numbers as DOUBLE (NULL: unknown).
CUBE_RULE_INPUTS_SQL = f"""
SELECT rowid AS rid, measure_id, area_name, borough, end_month, current::DOUBLE AS current,
       previous::DOUBLE AS previous, change::DOUBLE AS change, pct_change, comparator_current::DOUBLE AS comparator_current,
       comparator_previous::DOUBLE AS comparator_previous, rank::DOUBLE AS rank, rank_previous::DOUBLE AS rank_previous,
       comparator_rate_per_1000, {", ".join(limit_names())}, trend_z
FROM comparison_counts
"""
# The rules' columns per row, from the arrays registered as comparison_rules_in (NULL or NaN: unknown), typed here:
# a text column with no value at all (every trend unknown in a store of under five years) would otherwise be NULL-typed.
CUBE_RULES_SQL = """
CREATE OR REPLACE TEMP TABLE comparison_rules AS
SELECT rid::BIGINT AS rid, measure_label::VARCHAR AS measure_label, measure_unit::VARCHAR AS measure_unit,
       comparator_pct_change::DOUBLE AS comparator_pct_change, p_value::DOUBLE AS p_value,
       significant::DOUBLE AS significant, direction::VARCHAR AS direction, rag::VARCHAR AS rag,
       places_moved::DOUBLE AS places_moved, parent_id::VARCHAR AS parent_id,
       share_of_parent_pct::DOUBLE AS share_of_parent_pct, benchmark::VARCHAR AS benchmark, trend::VARCHAR AS trend,
       trend_p_value::DOUBLE AS trend_p_value
FROM comparison_rules_in
"""
# The stored cube: the comparison's columns and the rules', in the order comparisons() gives them, sorted so that one
# area's rows sit together (a headline reads a few row groups).
CUBE_FINISH_SQL = f"""
CREATE TABLE comparison_cache AS
SELECT c.measure_id, r.measure_label, r.measure_unit, c.area_name, c.borough, c.end_month, c.current, c.previous,
       c.change, c.comparator_name, c.pct_change, c.population, c.rate_per_1000, c.rate_per_1000_previous,
       c.negative_count, c.rank, c.rank_of, c.rank_tied, c.rank_previous, c.rank_of_previous, c.comparator_current,
       c.comparator_previous, c.comparator_rate_per_1000, c.comparator_rate_per_1000_previous,
       {", ".join("c." + n for n in limit_names() + limit_names("comparator_rate"))}, c.trend_z,
       CASE WHEN NOT isnan(r.comparator_pct_change) THEN r.comparator_pct_change END AS comparator_pct_change,
       CASE WHEN NOT isnan(r.p_value) THEN r.p_value END AS p_value,
       CASE WHEN NOT isnan(r.significant) THEN r.significant = 1 END AS significant,
       r.direction, r.rag, r.benchmark, r.trend,
       CASE WHEN NOT isnan(r.trend_p_value) THEN r.trend_p_value END AS trend_p_value, 'rate' AS rank_basis,
       CASE WHEN NOT isnan(r.places_moved) THEN r.places_moved::BIGINT END AS places_moved, r.parent_id,
       CASE WHEN NOT isnan(r.share_of_parent_pct) THEN r.share_of_parent_pct END AS share_of_parent_pct
FROM comparison_counts c JOIN comparison_rules r ON r.rid = c.rowid
ORDER BY c.area_name, c.end_month, c.measure_id;
DROP TABLE comparison_counts;
DROP TABLE comparison_rules;
"""
CUBE_DROP_MEASURE_TABLES_SQL = "DROP TABLE measure_map; DROP TABLE measure_info; DROP TABLE area_group"
CUBE_SET_KEY_SQL = "INSERT INTO store_meta VALUES ('comparison_cache_key', $key)"
CUBE_KEY_SQL = "SELECT value FROM store_meta WHERE key = 'comparison_cache_key'"
CUBE_ROWS_SQL = "SELECT count(*) FROM comparison_cache"
# One area's rows at one end month (a headline, a metric): the cube is sorted by area and month, so this reads little;
# the measures asked for are picked and ordered by the caller (a bound list would cost more than the query).
CACHED_AREA_MONTH_SQL = "SELECT * FROM comparison_cache WHERE area_name = $area AND end_month = $end"
CACHED_COMPARISONS_SQL = """
SELECT * FROM comparison_cache
WHERE list_contains($measure_ids, measure_id) AND end_month BETWEEN $first_end AND $last_end
  AND ($area IS NULL OR area_name = $area)
ORDER BY measure_id, end_month, rank NULLS LAST, area_name
"""

# What is loaded, for validating names and months.
CATEGORIES_SQL = "SELECT DISTINCT source, major_category, minor_category FROM category_index WHERE area_level = $level"
# The minor categories published at a level in a month's span (a category of another scheme is not one of that month's).
CATEGORIES_IN_MONTH_SQL = """SELECT DISTINCT minor_category FROM category_index
WHERE area_level = $level AND list_contains($sources, source) AND $month BETWEEN first_month AND last_month"""
AREAS_SQL = """SELECT DISTINCT area_name, borough FROM area_index WHERE area_level = $level
    AND area_name NOT IN (SELECT area_name FROM area_force WHERE stray) ORDER BY area_name"""
# Other names areas are known by ('Bristol, City of'), for matching what a user types.
AREA_ALIASES_SQL = "SELECT alias, area_name FROM area_alias"
# Each borough-level area's police force (comparator name) and whether it is a stray.
AREA_FORCE_SQL = "SELECT area_name, force, stray FROM area_force ORDER BY area_name"
# What a force's files could not place in an area over a span of months, for the forces of the named groups.
UNPLACED_SQL = """
SELECT coalesce(sum(q.unlocated), 0) AS unlocated_rows, coalesce(sum(q.unmapped), 0) AS unmapped_rows
FROM police_uk_quality q
WHERE q.force_name IN (SELECT force FROM area_force WHERE area_name IN (SELECT unnest($areas::VARCHAR[])))
  AND q.month BETWEEN $first AND $last
"""
BOROUGHS_AT_LEVEL_SQL = "SELECT DISTINCT borough FROM area_index WHERE area_level = $level AND borough IS NOT NULL ORDER BY borough"
MONTH_SPAN_SQL = "SELECT min(month), max(month) FROM month_index WHERE area_level = $level"
HAS_POPULATION_SQL = "SELECT count(*) > 0 FROM population WHERE area_level = $level AND ($within IS NULL OR area_name IN (SELECT area_name FROM area_index WHERE borough = $within))"

# Exceptions: the month $end's count per measure/category x area against its expected count with over-dispersed
# limits (docs/definitions.md, "Exceptions"). Per series and month t: the local level is the mean of the known months
# among the 12 before t; the seasonal factor is the ratio of the same calendar month's counts in up to
# EXCEPTION_SEASON_YEARS earlier years to their own local levels (ratio of sums; 1 with fewer than
# EXCEPTION_MIN_SEASON_YEARS such years); expected(t) = level x seasonal factor. The dispersion is the mean squared
# Pearson residual of those one-step expectations over the up to EXCEPTION_RESIDUAL_MONTHS known months before $end,
# shrunk towards the measure's pooled value (weight EXCEPTION_POOL_WEIGHT months) and never below 1; the limits
# themselves come from the caller (numpy).
# Baseline months are known months only (the one coverage rule: an unknown month is never a zero), from the first
# month the measure is non-zero across the level (a category's published zeros before it existed are not a
# baseline) and, with $same_scheme, only months of $end's category scheme. With $include_comparator, each comparator
# group (borough level) is one more area, known only when all its areas are.
EXCEPTION_SEASON_YEARS = 4
EXCEPTION_MIN_SEASON_YEARS = 2  # earlier years of the same month a seasonal factor needs (else 1: the level alone)
EXCEPTION_RESIDUAL_MONTHS = 24
EXCEPTION_POOL_WEIGHT = 12
# A month far out of range (a spike, or a lasting shift) counts as 10 standard errors in the dispersion, so one
# unusual month does not hide the next (as control charts leave out-of-control points out of their limits).
EXCEPTION_RESIDUAL_CAP = 100
EXCEPTION_SPAN_MONTHS = EXCEPTION_RESIDUAL_MONTHS + 12 * EXCEPTION_SEASON_YEARS + 12
EXCEPTIONS_SQL = f"""
WITH
measure_sources AS (SELECT DISTINCT measure_id, source, sign FROM measure_map),
months AS (
    SELECT unnest(generate_series(($end - INTERVAL {EXCEPTION_SPAN_MONTHS} MONTH)::DATE, $end, INTERVAL 1 MONTH))::DATE AS month
),
{areas_step(f"a.source IN (SELECT source FROM measure_sources) AND a.last_month >= ($end - INTERVAL {EXCEPTION_SPAN_MONTHS} MONTH)::DATE AND a.first_month <= $end")},
{KNOWN_MONTHS},
{MONTHLY},
lines AS (
    SELECT measure_id, area_name, borough, false AS is_comparator, nullif(group_name, '') AS comparator_name, month,
           CASE WHEN offence_count >= 0 THEN offence_count END AS offence_count
    FROM grid
    UNION ALL
    SELECT measure_id, group_name, group_name, true, group_name, month,
           CASE WHEN count(offence_count) = count(*) AND sum(offence_count) >= 0 THEN sum(offence_count) END
    FROM grid WHERE $include_comparator AND $within IS NULL AND group_name <> '' GROUP BY ALL
),
month_scheme AS (
    SELECT ms.measure_id, mi.month, string_agg(DISTINCT mi.scheme, ',' ORDER BY mi.scheme) AS scheme
    FROM measure_sources ms JOIN month_index mi ON mi.source = ms.source AND mi.area_level = $level AND mi.unit = ''
    WHERE mi.month BETWEEN (SELECT min(month) FROM months) AND $end
    GROUP BY ALL
),
same_scheme AS (
    SELECT s.measure_id, s.month FROM month_scheme s JOIN month_scheme e ON e.measure_id = s.measure_id AND e.month = $end
    WHERE NOT $same_scheme OR s.scheme = e.scheme
),
level_totals AS (
    -- Across the whole level (every area, not only $within's): when the measure first has any offences.
    SELECT m.measure_id, c.month, sum(c.offence_count * m.sign) AS total
    FROM crime_counts c
    JOIN measure_map m ON c.source = m.source AND c.major_category = m.major_category AND c.minor_category = m.minor_category
    WHERE c.area_level = $level AND c.month BETWEEN (SELECT min(month) FROM months) AND $end AND {NOT_SUPERSEDED}
    GROUP BY ALL
),
first_month AS (
    SELECT t.measure_id, min(t.month) AS first_month FROM level_totals t JOIN same_scheme s USING (measure_id, month)
    WHERE t.total > 0 GROUP BY ALL
),
series AS (
    SELECT l.*,
           CASE WHEN l.month < $end AND l.month >= f.first_month AND s.month IS NOT NULL THEN l.offence_count END AS n
    FROM lines l
    LEFT JOIN first_month f ON f.measure_id = l.measure_id
    LEFT JOIN same_scheme s ON s.measure_id = l.measure_id AND s.month = l.month
),
levelled AS (
    SELECT *, CASE WHEN count(n) OVER w12 >= 9 THEN avg(n) OVER w12 END AS local_level
    FROM series
    WINDOW w12 AS (PARTITION BY measure_id, area_name, is_comparator ORDER BY month ROWS BETWEEN 12 PRECEDING AND 1 PRECEDING)
),
seasonal AS (
    SELECT *,
           count(CASE WHEN n IS NOT NULL AND local_level IS NOT NULL THEN 1 END) OVER ws AS season_years,
           sum(CASE WHEN local_level IS NOT NULL THEN n END) OVER ws AS season_counts,
           sum(CASE WHEN n IS NOT NULL THEN local_level END) OVER ws AS season_levels
    FROM levelled
    WINDOW ws AS (PARTITION BY measure_id, area_name, is_comparator, month(month) ORDER BY month
                  ROWS BETWEEN {EXCEPTION_SEASON_YEARS} PRECEDING AND 1 PRECEDING)
),
expected AS (
    SELECT *,
           local_level * CASE WHEN season_years >= {EXCEPTION_MIN_SEASON_YEARS} AND season_levels > 0 THEN season_counts / season_levels ELSE 1 END
               AS expected,
           CASE WHEN season_years >= {EXCEPTION_MIN_SEASON_YEARS} AND season_levels > 0 THEN season_years ELSE 0 END AS seasonal_years_used
    FROM seasonal
),
residuals AS (
    -- least() skips NULLs, so a month without an expectation (the first months of a series) must be left out here
    SELECT *, CASE WHEN n IS NOT NULL AND expected IS NOT NULL
                        AND month >= ($end - INTERVAL {EXCEPTION_RESIDUAL_MONTHS} MONTH)::DATE
                   THEN least((n - expected) ** 2 / greatest(expected, 0.5), {EXCEPTION_RESIDUAL_CAP}) END AS pearson
    FROM expected
),
per_series AS (
    SELECT measure_id, area_name, borough, is_comparator, comparator_name,
           any_value(offence_count) FILTER (WHERE month = $end) AS offence_count,
           any_value(expected) FILTER (WHERE month = $end) AS expected,
           any_value(seasonal_years_used) FILTER (WHERE month = $end) AS seasonal_years,
           avg(pearson) AS series_dispersion,
           count(pearson) AS residual_months,
           count(n) AS baseline_known,
           min(month) FILTER (WHERE n IS NOT NULL) AS baseline_first,
           max(month) FILTER (WHERE n IS NOT NULL) AS baseline_last,
           -- the 11 months before $end, latest first (for how many months running a flag has been out of range)
           list(n ORDER BY month DESC) FILTER (WHERE month < $end AND month >= ($end - INTERVAL 11 MONTH)::DATE)
               AS recent_counts,
           list(expected ORDER BY month DESC) FILTER (WHERE month < $end AND month >= ($end - INTERVAL 11 MONTH)::DATE)
               AS recent_expected
    FROM residuals GROUP BY ALL
),
pooled AS (
    SELECT measure_id, sum(series_dispersion * residual_months) / nullif(sum(residual_months), 0) AS pooled_dispersion
    FROM per_series WHERE NOT is_comparator GROUP BY ALL
)
SELECT p.* EXCLUDE (series_dispersion),
       greatest(1.0, (coalesce(p.series_dispersion, 0) * p.residual_months
                      + coalesce(o.pooled_dispersion, 1.0) * {EXCEPTION_POOL_WEIGHT})
                     / (p.residual_months + {EXCEPTION_POOL_WEIGHT})) AS dispersion
FROM per_series p LEFT JOIN pooled o USING (measure_id)
"""

# The category scheme of each month loaded from some sources (why a measure is unknown in a month).
# With $unit (an area's police force), only that force's own police.uk months count, as in KNOWN_MONTHS.
MONTH_SCHEMES_SQL = f"""
SELECT month, scheme FROM month_index WHERE area_level = $level AND list_contains($sources, source)
  AND (source <> '{POLICE_UK}' OR $unit IS NULL OR unit = $unit) ORDER BY month
"""
# An area's publishing unit for police.uk figures: its force (NULL for an area no force's files cover as their own).
AREA_UNIT_SQL = """
SELECT any_value(f.force) FROM area_index a
JOIN area_force f ON f.area_name = CASE WHEN $level = 'borough' THEN a.area_name ELSE a.borough END AND NOT f.stray
WHERE a.area_level = $level AND a.area_name = $area
"""



def _spine_position(figure: str) -> str:
    """A figure's place on its spine row: 0.5 + better x (figure - comparator) / (2 x half width); a row whose areas
    all have the comparator's rate is a point in the middle."""
    return (f"CASE WHEN half_width > 0 THEN 0.5 + better * ({figure} - comparator_rate) / (2 * half_width) "
            f"WHEN {figure} IS NOT NULL AND half_width = 0 THEN 0.5 END")


# The spine chart's figures per measure (docs/definitions.md, "Spine chart"): over the rates of the areas of one
# comparator group ($group, those with a rate), the lowest, the quartiles (linear interpolation between order
# statistics, as pandas' and numpy's default), the highest, the comparator's rate and the focus area's ($area); worst
# and best by the measure's direction; and each figure's place on the row, 0 (worst) to 1 (best) with the
# comparator at 0.5 and the row scaled so that the farther of worst and best from it touches its edge (as the
# Fingertips spine charts centre each indicator on England). Reads spine_measures (measure_id, measure_order,
# direction) and spine_rows (measure_id, area_name, comparator_name, rate_per_1000, comparator_rate_per_1000).
SPINE_SQL = f"""
WITH
rated AS (
    SELECT * FROM spine_rows
    WHERE comparator_name = $group AND rate_per_1000 IS NOT NULL AND NOT isnan(rate_per_1000)
),
summary AS (
    SELECT measure_id, count(*) AS areas, min(rate_per_1000) AS lowest,
           quantile_cont(rate_per_1000, 0.25) AS lower_quartile, quantile_cont(rate_per_1000, 0.75) AS upper_quartile,
           max(rate_per_1000) AS highest, any_value(rate_per_1000) FILTER (WHERE area_name = $area) AS area_rate
    FROM rated GROUP BY measure_id
),
comparator AS (
    SELECT measure_id, any_value(comparator_rate_per_1000) AS comparator_rate FROM spine_rows
    WHERE comparator_name = $group AND comparator_rate_per_1000 IS NOT NULL AND NOT isnan(comparator_rate_per_1000)
    GROUP BY measure_id
),
oriented AS (
    -- better: +1 when a higher rate is better, -1 when lower is (the rows read worst on the left, best on the right)
    SELECT m.measure_id, m.measure_order, m.direction, coalesce(s.areas, 0) AS areas, s.area_rate, c.comparator_rate,
           s.lowest, s.lower_quartile, s.upper_quartile, s.highest,
           CASE WHEN m.direction = 'higher_is_better' THEN 1 ELSE -1 END AS better,
           greatest(abs(s.highest - c.comparator_rate), abs(c.comparator_rate - s.lowest)) AS half_width
    FROM spine_measures m LEFT JOIN summary s USING (measure_id) LEFT JOIN comparator c USING (measure_id)
),
ends AS (
    SELECT *,
           CASE WHEN better = 1 THEN lowest ELSE highest END AS worst,
           CASE WHEN better = 1 THEN lower_quartile ELSE upper_quartile END AS worst_quartile,
           CASE WHEN better = 1 THEN upper_quartile ELSE lower_quartile END AS best_quartile,
           CASE WHEN better = 1 THEN highest ELSE lowest END AS best
    FROM oriented
)
SELECT measure_id, direction, areas, area_rate, comparator_rate, lowest, lower_quartile, upper_quartile, highest,
       worst, worst_quartile, best_quartile, best,
       {_spine_position("worst")} AS worst_position,
       {_spine_position("worst_quartile")} AS worst_quartile_position,
       {_spine_position("best_quartile")} AS best_quartile_position,
       {_spine_position("best")} AS best_position,
       {_spine_position("area_rate")} AS area_position
FROM ends
ORDER BY measure_order
"""


# Partner measures (partner_values): per measure, the latest value for the area among periods begun by $as_of (the
# latest period end first; of two ending together, the longer), the same period a year earlier from the same source,
# the change, and the status against a target: 'not due' while the period runs past $as_of, else met or not met by
# the row's direction (or the measure's, $directions). $ids and $directions are parallel lists; a measure with no value
# has no row. Never joined to crime_counts or population: a partner value is never a police count or a rate.
PARTNER_FIGURES_SQL = """
WITH wanted AS (
    SELECT unnest($ids) AS measure_id, unnest($directions) AS configured_direction
),
ranked AS (
    SELECT v.*, w.configured_direction,
           row_number() OVER (PARTITION BY v.measure_id ORDER BY v.period_end DESC, v.period_start, v.source) AS n
    FROM partner_values v JOIN wanted w USING (measure_id)
    WHERE v.area_name = $area AND v.period_start <= $as_of
),
latest AS (
    SELECT r.*, coalesce(nullif(r.direction, ''), r.configured_direction) AS rule FROM ranked r WHERE n = 1
)
SELECT l.measure_id, l.label, l.unit, l.period, l.period_kind, l.period_start, l.period_end, l.area_name, l.value,
       l.source, l.target, l.rule AS direction, l.note, f.file_name, f.loaded_at,
       p.value AS previous_value, p.period AS previous_period,
       (l.period_start - INTERVAL 12 MONTH)::DATE AS previous_start, (l.period_end - INTERVAL 12 MONTH)::DATE AS previous_end,
       l.value - p.value AS change,
       CASE WHEN p.value <> 0 THEN 100.0 * (l.value - p.value) / p.value END AS pct_change,
       CASE WHEN l.value = p.value OR l.rule = '' THEN NULL
            ELSE (l.value > p.value) = (l.rule = 'higher_is_better') END AS better,
       CASE WHEN l.target IS NULL THEN ''
            WHEN l.period_end > $as_of THEN 'not due'
            WHEN l.rule = 'higher_is_better' AND l.value >= l.target THEN 'met'
            WHEN l.rule = 'lower_is_better' AND l.value <= l.target THEN 'met'
            ELSE 'not met' END AS target_status
FROM latest l JOIN source_files f USING (file_id)
LEFT JOIN partner_values p ON p.measure_id = l.measure_id AND p.area_name = l.area_name
     AND p.period_kind = l.period_kind AND p.period_start = (l.period_start - INTERVAL 12 MONTH)::DATE
     AND lower(p.source) = lower(l.source)
"""
