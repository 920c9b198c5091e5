"""Every SQL statement about the store itself (metadata, indexes, provenance), named; values are bound as $parameters.

The metrics layer's queries are in sbp/metrics/queries.py; ingest's validation and loading SQL is in sbp/ingest.
"""

from sbp.config.sources import MPS_BOROUGH, MPS_LSOA, MPS_WARD, POLICE_UK

SCHEMA_VERSION_SQL = "SELECT value FROM store_meta WHERE key = 'schema_version'"
SET_SCHEMA_VERSION_SQL = "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', $version)"
# Looked up rather than caught as an error, so a caller's open transaction is not aborted.
HAS_META_TABLE_SQL = """
SELECT count(*) FROM information_schema.tables WHERE table_name = 'store_meta'
  AND table_catalog = current_database() AND table_schema = current_schema()
"""
IS_SYNTHETIC_SQL = "SELECT value FROM store_meta WHERE key = 'is_synthetic'"
# Every table a fresh load empties (names are constants, never user input).
TABLES = ("crime_counts", "population", "source_files", "store_meta", "month_index", "category_index", "area_index",
          "data_quality", "geo_lsoa", "geo_lsoa11", "geo_lad_force", "population_ons", "police_uk_counts", "area_force",
          "police_uk_quality", "police_uk_lsoa11", "area_alias", "partner_values")
CLEAR_SQL = "".join(f"DELETE FROM {table};\n" for table in TABLES)

# Rows inserted with one statement (store.insert_rows): one list parameter per column, unnested side by side.
INSERT_ROWS_SQL = "INSERT INTO {table} SELECT {unnested}"

# The MPS category scheme each minor category marks (a temp table rebuild_indexes fills from the crosswalk).
SCHEME_MARKERS_TABLE = "sbp_scheme_markers"
SCHEME_MARKERS_TABLE_SQL = f"CREATE OR REPLACE TEMP TABLE {SCHEME_MARKERS_TABLE} (minor VARCHAR, scheme VARCHAR)"
SCHEME_MARKERS_DROP_SQL = f"DROP TABLE {SCHEME_MARKERS_TABLE}"

# The month, category, data-quality and area indexes, rebuilt from crime_counts after every load.
INDEX_SQL = f"""
DELETE FROM month_index;
INSERT INTO month_index
    SELECT c.source, c.area_level, c.month, sum(c.row_count),
           coalesce(string_agg(DISTINCT k.scheme, ',' ORDER BY k.scheme), ''), ''
    FROM (SELECT source, area_level, month, lower(minor_category) AS minor, count(*) AS row_count
          FROM crime_counts WHERE source <> '{POLICE_UK}' GROUP BY ALL) c
    LEFT JOIN sbp_scheme_markers k ON k.minor = c.minor AND c.source IN ('{MPS_BOROUGH}', '{MPS_WARD}', '{MPS_LSOA}')
    GROUP BY ALL;
-- police.uk months per force: each force publishes its own files, so a month is loaded for a force only when that
-- force's own files have it (police_uk_quality, derived just before from every row they hold).
INSERT INTO month_index
    SELECT '{POLICE_UK}', l.area_level, q.month, sum(q.offence_count), '', q.force_name
    -- at every level police.uk rows are placed at in this store, whether or not this force placed a row that month
    FROM police_uk_quality q
    CROSS JOIN (SELECT DISTINCT area_level FROM crime_counts WHERE source = '{POLICE_UK}') l
    GROUP BY ALL;
DELETE FROM category_index;
INSERT INTO category_index
    SELECT source, area_level, major_category, minor_category, min(month), max(month), sum(offence_count)
    FROM crime_counts GROUP BY ALL;
DELETE FROM data_quality;
INSERT INTO data_quality
WITH
borough_totals AS (
    SELECT month, sum(offence_count) AS total FROM crime_counts
    WHERE source = '{MPS_BOROUGH}' AND area_level = 'borough' GROUP BY ALL
),
shares AS (
    SELECT file_id, source, area_level, month,
           sum(offence_count) FILTER (WHERE lower(area_name) IN ('unknown', 'n/k', 'n/k (legacy only)', 'other / nk', 'not known'))
               / sum(offence_count) AS share
    FROM crime_counts WHERE source = '{MPS_BOROUGH}' AND area_level = 'borough' GROUP BY ALL HAVING sum(offence_count) > 0
    UNION ALL
    -- ward files: offences in the borough totals that no ward holds, for months where both are loaded
    SELECT w.file_id, w.source, w.area_level, w.month, 1 - w.located / b.total AS share
    FROM (SELECT file_id, source, area_level, month, sum(offence_count) AS located FROM crime_counts
          WHERE source = '{MPS_WARD}' AND area_level = 'ward' GROUP BY ALL) w
    JOIN borough_totals b USING (month) WHERE b.total > 0
)
SELECT file_id, source, area_level, month, coalesce(share, 0), median(coalesce(share, 0)) OVER (PARTITION BY file_id)
FROM shares
QUALIFY coalesce(share, 0) > 0.05 AND coalesce(share, 0) > 3 * median(coalesce(share, 0)) OVER (PARTITION BY file_id);
DELETE FROM area_index;
INSERT INTO area_index
    SELECT source, area_level, area_name, area_code, borough, min(month), max(month) FROM crime_counts GROUP BY ALL;
"""

# Provenance: what is loaded, per source and per file.
STATUS_SQL = """
SELECT f.file_format AS source, min(f.first_month) AS first_month, max(f.last_month) AS last_month,
       count(*) AS files, max(f.loaded_at) AS last_loaded_at,
       string_agg(f.file_name, '; ' ORDER BY f.file_id) AS file_names
FROM source_files f GROUP BY f.file_format ORDER BY f.file_format
"""
# Each source's months per area level and publishing unit (a police.uk force; '' for the rest): the first and last
# month loaded and the months missing between them, with the missing months grouped into runs of consecutive months.
# $sources: the sources to cover (NULL: all). $whole: one row per source instead, its span over every level and unit
# and a month missing when any level or unit lacks it inside that level's or unit's own span.
COVERAGE_SQL = """
WITH spans AS (
    SELECT source, area_level, unit, min(month) AS first_month, max(month) AS last_month
    FROM month_index WHERE $sources::VARCHAR[] IS NULL OR list_contains($sources::VARCHAR[], source) GROUP BY ALL
),
inside AS (
    SELECT source, area_level, unit, unnest(generate_series(first_month, last_month, INTERVAL 1 MONTH))::DATE AS month
    FROM spans
),
missing AS (
    SELECT DISTINCT i.source, CASE WHEN $whole THEN '' ELSE i.area_level END AS area_level,
           CASE WHEN $whole THEN '' ELSE i.unit END AS unit, i.month
    FROM inside i ANTI JOIN month_index m
        ON m.source = i.source AND m.area_level = i.area_level AND m.unit = i.unit AND m.month = i.month
),
runs AS (
    -- consecutive months share (months since year 0 - their rank): one key per run
    SELECT source, area_level, unit, min(month) AS first_month, max(month) AS last_month, count(*) AS months
    FROM (SELECT *, year(month) * 12 + month(month)
                    - row_number() OVER (PARTITION BY source, area_level, unit ORDER BY month) AS run FROM missing)
    GROUP BY source, area_level, unit, run
),
gaps AS (
    SELECT r.source, r.area_level, r.unit, any_value(m.months) AS months,
           list(r.first_month ORDER BY r.first_month) AS run_firsts, list(r.last_month ORDER BY r.first_month) AS run_lasts,
           list(r.months ORDER BY r.first_month) AS run_months
    FROM runs r JOIN (SELECT source, area_level, unit, list(month ORDER BY month) AS months FROM missing GROUP BY ALL) m
        USING (source, area_level, unit)
    GROUP BY ALL
),
grains AS (
    SELECT source, CASE WHEN $whole THEN '' ELSE area_level END AS area_level,
           CASE WHEN $whole THEN '' ELSE unit END AS unit, min(first_month) AS first_month, max(last_month) AS last_month
    FROM spans GROUP BY ALL
)
SELECT g.source, g.area_level, g.unit, g.first_month, g.last_month, coalesce(x.months, []),
       coalesce(x.run_firsts, []), coalesce(x.run_lasts, []), coalesce(x.run_months, [])
FROM grains g LEFT JOIN gaps x USING (source, area_level, unit)
ORDER BY g.source, g.unit, list_position(['borough', 'ward', 'lsoa'], g.area_level), g.area_level
"""
FILES_SQL = """
SELECT file_id, file_name, file_format, row_count, first_month, last_month, months_replaced, loaded_at, sha256
FROM source_files ORDER BY file_id
"""
LAST_LOADED_SQL = "SELECT max(loaded_at) FROM source_files"
# The area levels (borough, ward, lsoa) with any month loaded.
LEVELS_LOADED_SQL = "SELECT DISTINCT area_level FROM month_index ORDER BY area_level"
AREAS_ALL_LEVELS_SQL = "SELECT DISTINCT area_level, area_name, borough FROM area_index"
# The file a connection reads (each store version is its own file).
DATABASE_PATH_SQL = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
# A published store version (a file opened read-only) never changes, so what is read from it may be kept per path.
READ_ONLY_PATH_SQL = """SELECT CASE WHEN readonly AND path IS NOT NULL AND path <> '' THEN path END
FROM duckdb_databases() WHERE database_name = current_database()"""

# Months whose offences are largely not attributed to a borough or ward, between $first and $last (NULL: open).
QUALITY_SQL = """
SELECT f.file_name, q.file_id, q.source, q.area_level, q.month, q.unknown_share, q.median_share
FROM data_quality q JOIN source_files f USING (file_id)
WHERE ($first IS NULL OR q.month >= $first) AND ($last IS NULL OR q.month <= $last)
ORDER BY q.month, f.file_name
"""
# Borough-level areas with any population loaded (police.uk areas are offered only when they have one).
AREAS_WITH_POPULATION_SQL = "SELECT DISTINCT area_name FROM population WHERE area_level = 'borough'"

# Provenance a load records about each file, and a forget removes (sbp/ingest/load.py, sbp/ingest/forgetting.py).
FILE_LOADED_SQL = "SELECT 1 FROM source_files WHERE sha256 = $d"
NEXT_FILE_ID_SQL = "SELECT coalesce(max(file_id), 0) + 1 FROM source_files"
RECORD_FILE_SQL = "INSERT INTO source_files VALUES ($id, $name, $sha, $fmt, $rows, $first, $last, $replaced, now()::TIMESTAMP)"
# A metadata key and value: the caller's (is_synthetic, ...) or a forgotten file's record ('forgotten:<sha256>').
SET_META_SQL = "INSERT OR REPLACE INTO store_meta VALUES ($k, $v)"
FILES_NAMED_SQL = """
SELECT file_id, file_name, sha256, first_month, last_month FROM source_files WHERE file_name = $f OR sha256 = $f
"""
FILE_NAMES_SQL = "SELECT file_name FROM source_files"
# The rows file $id loaded as counts: crime_counts' own (police.uk's there are derived from police_uk_counts, each
# carrying the last file of its group), police_uk_counts' and partner_values'.
FILE_ROW_COUNT_SQL = (f"SELECT (SELECT count(*) FROM crime_counts WHERE file_id = $id AND source <> '{POLICE_UK}') "
                      "+ (SELECT count(*) FROM police_uk_counts WHERE file_id = $id) "
                      "+ (SELECT count(*) FROM partner_values WHERE file_id = $id)")
# Every table a file's rows are loaded into, as published (what the load derives from them is derived again after).
FILE_TABLES = ("crime_counts", "population", "partner_values", "police_uk_counts", "geo_lsoa", "geo_lsoa11",
               "geo_lad_force", "population_ons")
# What forgetting file $id deletes (table names are constants, never user input).
FORGET_FILE_SQL = tuple(f"DELETE FROM {table} WHERE file_id = $id" for table in (*FILE_TABLES, "source_files"))

TEMP_DIRECTORY_SQL = "SELECT current_setting('temp_directory')"
