"""Every SQL query the metrics layer runs, in one place (the store's own statements are in sbp/store/queries.py).

Queries read two small frames registered per call: measure_map (measure_id, source, major_category,
minor_category, sign: the exact category pairs each measure counts, sign -1 for those a difference measure
subtracts) and measure_info (measure_id, direction, denominator, schemes: the MPS category schemes the measure is
defined in, parts: 2 for a difference measure, whose two parts must both be loaded, else 1). Values are bound as $parameters; no identifier is ever built from user input.
"""

def month_grid(first: str, last: str) -> str:
    """The measure_sources and months steps: every month from 23 before $first to $last (parameter names only)."""
    return f"""measure_sources AS (SELECT DISTINCT measure_id, source, sign FROM measure_map),
months AS (
    SELECT unnest(generate_series((${first} - INTERVAL 23 MONTH)::DATE, ${last}, INTERVAL 1 MONTH))::DATE AS month
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
NOT_SUPERSEDED = """NOT (m.source = 'long_counts' AND EXISTS (
        SELECT 1 FROM measure_map d JOIN month_index mi ON mi.source = d.source
        WHERE d.measure_id = m.measure_id AND d.source = 'mps_dashboard' AND mi.month = c.month
          AND mi.area_level = c.area_level))"""

# Rolling-year comparisons for every measure x area x end month in [$first_end, $last_end]:
# counts, rates, ranks (this year and a year earlier) and London totals, in one set-based query.
COMPARISON_SQL = f"""
WITH
{month_grid("first_end", "last_end")},
loaded AS (
    -- Whether each month is loaded for each measure's sources: per measure, not per area.
    -- and the measure is defined in the month's category scheme (see sbp/config/schemes.py).
    -- A difference measure needs both of its parts loaded.
    SELECT mo.month, i.measure_id,
           ((SELECT count(DISTINCT ms.sign) FROM measure_sources ms JOIN month_index mi ON mi.source = ms.source
             WHERE ms.measure_id = i.measure_id AND mi.area_level = $level AND mi.month = mo.month
               AND list_has_all(i.schemes, string_split(mi.scheme, ',')))
            = i.parts)::INTEGER AS is_loaded
    FROM months mo CROSS JOIN measure_info i
),
coverage AS (
    SELECT measure_id, month AS end_month,
           sum(is_loaded) OVER (PARTITION BY measure_id ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS months_current,
           sum(is_loaded) OVER (PARTITION BY measure_id ORDER BY month ROWS BETWEEN 23 PRECEDING AND 12 PRECEDING) AS months_previous
    FROM loaded
),
areas AS (
    -- Borough-level areas are ranked and totalled within their comparator group (area_group: the areas of a
    -- police force by default); an area in no group (a force's strays into a neighbour) is left out.
    SELECT DISTINCT a.area_name, a.borough, coalesce(g.group_name, '') AS group_name FROM area_index a
    LEFT JOIN area_group g ON $level = 'borough' AND g.area_name = a.area_name
    WHERE a.area_level = $level AND a.source IN (SELECT source FROM measure_sources)
      AND ($within IS NULL OR a.borough = $within) AND ($level <> 'borough' OR g.group_name IS NOT NULL)
      AND a.last_month >= ($first_end - INTERVAL 23 MONTH)::DATE AND a.first_month <= $last_end
),
monthly AS (
    SELECT m.measure_id, c.area_name, c.borough, c.month, sum(c.offence_count * m.sign) AS offence_count
    FROM crime_counts c
    JOIN measure_map m
      ON c.source = m.source AND c.major_category = m.major_category AND c.minor_category = m.minor_category
    WHERE c.area_level = $level AND c.month BETWEEN ($first_end - INTERVAL 23 MONTH)::DATE AND $last_end
      AND ($within IS NULL OR c.borough = $within) AND {NOT_SUPERSEDED}
    GROUP BY ALL
),
grid AS (
    SELECT i.measure_id, a.area_name, a.borough, a.group_name, mo.month, coalesce(mm.offence_count, 0) AS offence_count
    FROM measure_info i CROSS JOIN areas a CROSS JOIN months mo
    LEFT JOIN monthly mm
      ON mm.measure_id = i.measure_id AND mm.area_name = a.area_name AND mm.borough = a.borough AND mm.month = mo.month
),
sums AS (
    SELECT measure_id, area_name, borough, group_name, month AS end_month,
           sum(offence_count) OVER (PARTITION BY measure_id, area_name, borough ORDER BY month
                                    ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS current_sum,
           sum(offence_count) OVER (PARTITION BY measure_id, area_name, borough ORDER BY month
                                    ROWS BETWEEN 23 PRECEDING AND 12 PRECEDING) AS previous_sum
    FROM grid
    QUALIFY month >= $first_end
),
rolling AS (
    -- A rolling year counts only when all 12 of its months are loaded; otherwise it is unknown, not zero.
    -- A negative difference (more domestic abuse violence with injury than violence with injury) is a data
    -- error: never a count, flagged in negative_count.
    SELECT s.measure_id, s.area_name, s.borough, s.group_name, s.end_month,
           CASE WHEN c.months_current = 12 AND s.current_sum >= 0 THEN s.current_sum END AS current,
           CASE WHEN c.months_previous = 12 AND s.previous_sum >= 0 THEN s.previous_sum END AS previous,
           (c.months_current = 12 AND s.current_sum < 0) OR (c.months_previous = 12 AND s.previous_sum < 0) AS negative_count
    FROM sums s JOIN coverage c USING (measure_id, end_month)
),
{MEASURE_POPULATION},
with_pop AS (
    SELECT r.*, pc.population, pp.population AS population_previous
    FROM rolling r
    ASOF LEFT JOIN measure_pop pc
      ON pc.measure_id = r.measure_id AND pc.area_name = r.area_name AND year(r.end_month) >= pc.year
    ASOF LEFT JOIN measure_pop pp
      ON pp.measure_id = r.measure_id AND pp.area_name = r.area_name AND year(r.end_month) - 1 >= pp.year
),
rated AS (
    SELECT *, current * 1000.0 / population AS rate_per_1000,
              previous * 1000.0 / population_previous AS rate_per_1000_previous,
              CASE WHEN $rank_by_rate THEN round(current * 1000.0 / population, 9) ELSE current END AS rank_key,
              CASE WHEN $rank_by_rate THEN round(previous * 1000.0 / population_previous, 9) ELSE previous END AS rank_key_previous
    FROM with_pop
)
SELECT measure_id, area_name, borough, end_month, current, previous, current - previous AS change,
       nullif(group_name, '') AS comparator_name,
       CASE WHEN previous > 0 THEN (current - previous) * 100.0 / previous END AS pct_change,
       population, rate_per_1000, rate_per_1000_previous, negative_count,
       CASE WHEN rank_key IS NOT NULL THEN rank() OVER (PARTITION BY measure_id, end_month, group_name ORDER BY rank_key NULLS LAST) END AS rank,
       count(rank_key) OVER area_set AS rank_of,
       rank_key IS NOT NULL AND count(*) OVER (PARTITION BY measure_id, end_month, group_name, rank_key) > 1 AS rank_tied,
       CASE WHEN rank_key_previous IS NOT NULL
            THEN rank() OVER (PARTITION BY measure_id, end_month, group_name ORDER BY rank_key_previous NULLS LAST) END AS rank_previous,
       count(rank_key_previous) OVER area_set AS rank_of_previous,
       sum(current) OVER area_set AS comparator_current,
       sum(previous) OVER area_set AS comparator_previous,
       sum(current) OVER area_set * 1000.0 / sum(population) FILTER (WHERE current IS NOT NULL) OVER area_set AS comparator_rate_per_1000,
       sum(previous) OVER area_set * 1000.0 / sum(population_previous) FILTER (WHERE previous IS NOT NULL) OVER area_set
           AS comparator_rate_per_1000_previous
FROM rated
WINDOW area_set AS (PARTITION BY measure_id, end_month, group_name)
ORDER BY measure_id, end_month, rank NULLS LAST, area_name
"""

# Monthly counts for chosen areas and measures, with the rolling 12-month total, the same month a year
# earlier and both as rates per 1,000 (the one denominator rule above); the sum over every area at the level is
# included as area 'London' when asked (its rate uses the sum of the boroughs' populations).
SERIES_SQL = f"""
WITH
{month_grid("from_month", "to_month")},
loaded AS (
    SELECT ms.measure_id, mi.month
    FROM measure_sources ms JOIN month_index mi ON mi.source = ms.source AND mi.area_level = $level
    JOIN measure_info i ON i.measure_id = ms.measure_id AND list_has_all(i.schemes, string_split(mi.scheme, ','))
    GROUP BY ms.measure_id, mi.month HAVING count(DISTINCT ms.sign) = any_value(i.parts)
),
wanted AS (SELECT unnest($areas::VARCHAR[]) AS area_name),
monthly AS (
    SELECT m.measure_id, c.area_name, c.month, sum(c.offence_count * m.sign) AS offence_count
    FROM crime_counts c
    JOIN measure_map m
      ON c.source = m.source AND c.major_category = m.major_category AND c.minor_category = m.minor_category
    WHERE c.area_level = $level AND c.month BETWEEN ($from_month - INTERVAL 23 MONTH)::DATE AND $to_month
      AND c.area_name IN (SELECT area_name FROM wanted) AND ($within IS NULL OR c.borough = $within)
      AND {NOT_SUPERSEDED}
    GROUP BY ALL
    UNION ALL
    SELECT m.measure_id, 'London' AS area_name, c.month, sum(c.offence_count * m.sign) AS offence_count
    FROM crime_counts c
    JOIN measure_map m
      ON c.source = m.source AND c.major_category = m.major_category AND c.minor_category = m.minor_category
    WHERE $include_london AND c.area_level = 'borough'
      AND c.month BETWEEN ($from_month - INTERVAL 23 MONTH)::DATE AND $to_month AND {NOT_SUPERSEDED}
    GROUP BY ALL
),
area_list AS (
    SELECT area_name FROM wanted UNION SELECT 'London' WHERE $include_london
),
grid AS (
    SELECT i.measure_id, a.area_name, mo.month,
           CASE WHEN l.month IS NOT NULL AND coalesce(n.offence_count, 0) >= 0 THEN coalesce(n.offence_count, 0) END
               AS offence_count
    FROM measure_info i CROSS JOIN area_list a CROSS JOIN months mo
    LEFT JOIN monthly n ON n.measure_id = i.measure_id AND n.area_name = a.area_name AND n.month = mo.month
    LEFT JOIN loaded l ON l.measure_id = i.measure_id AND l.month = mo.month
),
rolled AS (
    SELECT measure_id, area_name, month, offence_count,
           CASE WHEN count(offence_count) OVER w12 = 12 THEN sum(offence_count) OVER w12 END AS rolling_12_total,
           lag(offence_count, 12) OVER (PARTITION BY measure_id, area_name ORDER BY month) AS offence_count_year_before
    FROM grid
    WINDOW w12 AS (PARTITION BY measure_id, area_name ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
    QUALIFY month >= $from_month
),
{MEASURE_POPULATION},
area_pop AS (
    SELECT * FROM measure_pop
    UNION ALL
    -- London's rate divides every area's count by the sum of the boroughs' populations (docs/definitions.md).
    SELECT measure_id, 'London' AS area_name, year, sum(population) AS population
    FROM measure_pop WHERE $include_london AND $level = 'borough' GROUP BY ALL
)
SELECT r.*, pop.population,
       r.offence_count * 1000.0 / pop.population AS rate_per_1000,
       r.rolling_12_total * 1000.0 / pop.population AS rolling_12_rate_per_1000
FROM rolled r
ASOF LEFT JOIN area_pop pop
  ON pop.measure_id = r.measure_id AND pop.area_name = r.area_name AND year(r.month) >= pop.year
ORDER BY r.measure_id, r.area_name, r.month
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
CUBE_CREATE_SQL = f"CREATE TABLE comparison_cache AS {COMPARISON_SQL}"
CUBE_DROP_MEASURE_TABLES_SQL = "DROP TABLE measure_map; DROP TABLE measure_info; DROP TABLE area_group"
CUBE_SET_KEY_SQL = "INSERT INTO store_meta VALUES ('comparison_cache_key', $key)"
CUBE_KEY_SQL = "SELECT value FROM store_meta WHERE key = 'comparison_cache_key'"
CUBE_ROWS_SQL = "SELECT count(*) FROM comparison_cache"
CACHED_COMPARISONS_SQL = """
SELECT * FROM comparison_cache
WHERE list_contains($measure_ids, measure_id) AND end_month BETWEEN $first_end AND $last_end
  AND ($area IS NULL OR area_name = $area)
ORDER BY measure_id, end_month, rank NULLS LAST, area_name
"""

# What is loaded, for validating names and months.
CATEGORIES_SQL = "SELECT DISTINCT source, major_category, minor_category FROM category_index WHERE area_level = $level"
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

# Exceptions: the month $end's count per measure/category x area against Poisson control limits around an
# expected count: the mean of the preceding $baseline months, or (seasonal) the mean of the same calendar month in
# the $years years before. London (every area at the level summed) is one more area when asked.
EXCEPTIONS_SQL = f"""
WITH
counts AS (
    SELECT m.measure_id, c.area_name, c.borough, c.month, c.offence_count * m.sign AS offence_count
    FROM crime_counts c
    JOIN measure_map m
      ON c.source = m.source AND c.major_category = m.major_category AND c.minor_category = m.minor_category
    WHERE c.area_level = $level AND c.month BETWEEN ($end - to_months(greatest($baseline, 12 * $years)))::DATE AND $end
      AND {NOT_SUPERSEDED}
),
monthly AS (
    SELECT measure_id, area_name, borough, month, sum(offence_count) AS offence_count
    FROM counts WHERE ($within IS NULL OR borough = $within)
    GROUP BY ALL
    UNION ALL
    SELECT measure_id, 'London', 'London', month, sum(offence_count)
    FROM counts WHERE $include_london
    GROUP BY ALL
)
SELECT measure_id, area_name, borough,
       coalesce(sum(offence_count) FILTER (WHERE month = $end), 0) AS offence_count,
       CASE WHEN $seasonal
            THEN coalesce(sum(offence_count) FILTER (WHERE month < $end AND month(month) = month($end::DATE)
                                                     AND month >= ($end - to_months(12 * $years))::DATE), 0) / $years
            ELSE coalesce(sum(offence_count) FILTER (WHERE month < $end AND month >= ($end - to_months($baseline))::DATE), 0)
                 / $baseline
       END AS baseline_mean
FROM monthly GROUP BY ALL
"""

# The category scheme of each month loaded from some sources (why a measure is unknown in a month).
MONTH_SCHEMES_SQL = """
SELECT month, scheme FROM month_index WHERE area_level = $level AND list_contains($sources, source) ORDER BY month
"""
