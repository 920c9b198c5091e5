-- The store's schema: the one place tables are defined. Applied idempotently on every write.
CREATE TABLE IF NOT EXISTS source_files (
    file_id         INTEGER PRIMARY KEY,
    file_name       VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    file_format     VARCHAR NOT NULL,   -- mps_borough | mps_ward | police_uk | long_counts | population
    row_count       BIGINT NOT NULL,    -- data rows in the file as published
    first_month     DATE,               -- NULL for population files
    last_month      DATE,
    months_replaced INTEGER NOT NULL DEFAULT 0,
    loaded_at       TIMESTAMP NOT NULL
);

-- Monthly counts in long form; one row per month x area x category x source.
CREATE TABLE IF NOT EXISTS crime_counts (
    month           DATE NOT NULL,      -- first day of the month
    area_level      VARCHAR NOT NULL,   -- borough | ward | lsoa
    area_name       VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,   -- '' where the source gives none
    borough         VARCHAR NOT NULL,
    major_category  VARCHAR NOT NULL,
    minor_category  VARCHAR NOT NULL,
    offence_count   BIGINT NOT NULL,    -- offences, or incidents for ASB series
    source          VARCHAR NOT NULL,   -- the file_format that supplied the row
    file_id         INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS population (
    area_level      VARCHAR NOT NULL,
    area_name       VARCHAR NOT NULL,
    year            INTEGER,            -- NULL: undated, applies to every period
    denominator     VARCHAR NOT NULL,   -- residents | households
    population      BIGINT NOT NULL,
    file_id         INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS store_meta (
    key             VARCHAR PRIMARY KEY,
    value           VARCHAR NOT NULL
);

-- Small indexes rebuilt after every ingest so readers never scan crime_counts to learn what is loaded.
CREATE TABLE IF NOT EXISTS month_index (
    source          VARCHAR NOT NULL,
    area_level      VARCHAR NOT NULL,
    month           DATE NOT NULL,
    row_count       BIGINT NOT NULL,
    scheme          VARCHAR NOT NULL DEFAULT '', -- MPS category scheme(s) of the month, comma-separated; '' for none
    unit            VARCHAR NOT NULL DEFAULT ''  -- the publishing unit that has the month: a police.uk force's
                                                 -- comparator name (each force publishes its own months); '' for
                                                 -- a source that covers all its areas in one file (MPS, workbook)
);
ALTER TABLE month_index ADD COLUMN IF NOT EXISTS scheme VARCHAR DEFAULT '';
ALTER TABLE month_index ADD COLUMN IF NOT EXISTS unit VARCHAR DEFAULT '';

CREATE TABLE IF NOT EXISTS category_index (
    source          VARCHAR NOT NULL,
    area_level      VARCHAR NOT NULL,
    major_category  VARCHAR NOT NULL,
    minor_category  VARCHAR NOT NULL,
    first_month     DATE NOT NULL,
    last_month      DATE NOT NULL,
    offence_count   BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS area_index (
    source          VARCHAR NOT NULL,
    area_level      VARCHAR NOT NULL,
    area_name       VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    borough         VARCHAR NOT NULL,
    first_month     DATE NOT NULL,
    last_month      DATE NOT NULL
);

-- Months where a large share of offences has no borough (MPS "Unknown"), which understates every borough: share over
-- 5% and over three times the file's median month. Rebuilt with the indexes; read by ingest, status, pages and reports.
CREATE TABLE IF NOT EXISTS data_quality (
    file_id         INTEGER NOT NULL,
    source          VARCHAR NOT NULL,
    area_level      VARCHAR NOT NULL,
    month           DATE NOT NULL,
    unknown_share   DOUBLE NOT NULL,    -- offences with no borough (or, for ward files, not in any ward) / London total
    median_share    DOUBLE NOT NULL     -- the same share in the file's median month
);

-- Official geography, as published: the one place the store keeps area geography.
-- LSOA (2021) -> ward -> local authority (ONS best-fit lookup; lad_* is the LADyy the file names, e.g. LAD25).
CREATE TABLE IF NOT EXISTS geo_lsoa (
    lsoa_code       VARCHAR NOT NULL,
    lsoa_name       VARCHAR NOT NULL,
    ward_code       VARCHAR NOT NULL,
    ward_name       VARCHAR NOT NULL,
    lad_code        VARCHAR NOT NULL,
    lad_name        VARCHAR NOT NULL,
    file_id         INTEGER NOT NULL
);

-- LSOA (2011) -> LSOA (2021) (ONS; one row per pair: a 2011 LSOA split in 2021 has a row per part, CHGIND 'S').
CREATE TABLE IF NOT EXISTS geo_lsoa11 (
    lsoa11_code     VARCHAR NOT NULL,
    lsoa11_name     VARCHAR NOT NULL,
    lsoa21_code     VARCHAR NOT NULL,
    lsoa21_name     VARCHAR NOT NULL,
    change          VARCHAR NOT NULL,   -- CHGIND as published: U unchanged, S split, M merged, X irregular
    lad_code        VARCHAR NOT NULL,   -- the LADyy the file names (LAD22: before Somerset's 2023 merger)
    lad_name        VARCHAR NOT NULL,
    file_id         INTEGER NOT NULL
);

-- Local authority -> community safety partnership -> police force area (ONS, 2017 boundaries).
CREATE TABLE IF NOT EXISTS geo_lad_force (
    lad_code        VARCHAR NOT NULL,
    lad_name        VARCHAR NOT NULL,
    csp_code        VARCHAR NOT NULL,
    csp_name        VARCHAR NOT NULL,
    pfa_code        VARCHAR NOT NULL,
    pfa_name        VARCHAR NOT NULL,
    file_id         INTEGER NOT NULL
);

-- ONS mid-year estimates as published (MYE2 - Persons: Code, Name, Geography, All ages).
CREATE TABLE IF NOT EXISTS population_ons (
    area_code       VARCHAR NOT NULL,
    area_name       VARCHAR NOT NULL,
    geography       VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    population      BIGINT NOT NULL,
    file_id         INTEGER NOT NULL
);

-- police.uk street-level rows counted per month x force x LSOA x crime type, as published (LSOA code and
-- name as the file gives them, '' when unlocated). crime_counts' police_uk rows are derived from this and the
-- geography after every load, so files and lookups can be loaded in any order.
CREATE TABLE IF NOT EXISTS police_uk_counts (
    month           DATE NOT NULL,
    force           VARCHAR NOT NULL,   -- "Reported by"
    lsoa_code       VARCHAR NOT NULL,
    lsoa_name       VARCHAR NOT NULL,
    crime_type      VARCHAR NOT NULL,
    offence_count   BIGINT NOT NULL,
    file_id         INTEGER NOT NULL
);

-- Derived after every load: each area's police force (police.uk majority, cross-checked with geo_lad_force).
CREATE TABLE IF NOT EXISTS area_force (
    area_name       VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,
    force           VARCHAR NOT NULL,   -- the comparator name of the force, e.g. 'Avon and Somerset', 'London'
    located_rows    BIGINT NOT NULL,    -- police.uk rows located in the area by its force's files (0 for MPS areas)
    stray           BOOLEAN NOT NULL    -- only other forces' files have rows here: never ranked or totalled
);

-- Derived after every load: per force and month, what could not be placed in an area.
CREATE TABLE IF NOT EXISTS police_uk_quality (
    force           VARCHAR NOT NULL,   -- "Reported by"
    force_name      VARCHAR NOT NULL,   -- its comparator name, as in area_force
    month           DATE NOT NULL,
    offence_count   BIGINT NOT NULL,    -- every row the force's files hold for the month
    unlocated       BIGINT NOT NULL,    -- rows with no LSOA
    by_name         BIGINT NOT NULL,    -- LSOA code not in the lookup (2011 codes): placed by the district in the LSOA name
    unmapped        BIGINT NOT NULL,    -- LSOA neither in the lookup nor with a known district name
    outside_force   BIGINT NOT NULL,    -- located in another force's area (kept there, never in this force's league)
    by_lsoa11       BIGINT NOT NULL DEFAULT 0  -- 2011 LSOA code placed through the ONS LSOA 2011 -> 2021 lookup
);
ALTER TABLE police_uk_quality ADD COLUMN IF NOT EXISTS by_lsoa11 BIGINT DEFAULT 0;

-- Derived after every load: police.uk rows whose LSOA code the 2021 lookup lacks (2011 codes), per force, month
-- and the district their LSOA name carries, and how they were placed.
CREATE TABLE IF NOT EXISTS police_uk_lsoa11 (
    force           VARCHAR NOT NULL,   -- "Reported by"
    month           DATE NOT NULL,
    district        VARCHAR NOT NULL,   -- "Taunton Deane" for "Taunton Deane 012A"
    placed_by       VARCHAR NOT NULL,   -- 'lsoa11' (the 2011 -> 2021 lookup, to one 2021 LSOA), 'lsoa11_lad' (to an
                                        -- authority only: a 2011 LSOA split in 2021), 'name' (the district), 'unmapped'
    area_name       VARCHAR NOT NULL,   -- the area it is counted in; '' when unmapped
    offence_count   BIGINT NOT NULL
);

-- Other names an area is known by ('Bristol, City of' for 'Bristol'): accepted wherever an area is typed.
CREATE TABLE IF NOT EXISTS area_alias (
    alias           VARCHAR NOT NULL,
    area_name       VARCHAR NOT NULL
);

-- Partner measures (CCTV, Trading Standards, council services): one value per measure x period x area x source, as
-- the partner's file (or an admin on the Data page) gave it. Never mixed with crime_counts: its own units.
CREATE TABLE IF NOT EXISTS partner_values (
    measure_id      VARCHAR NOT NULL,   -- a measure of data/partner_measures.toml
    label           VARCHAR NOT NULL,   -- the file's label for it
    unit            VARCHAR NOT NULL,   -- count | pounds | people | percent
    period          VARCHAR NOT NULL,   -- as written, normalised: 2021-06, 2021/22 Q1, 2021/22, 2021
    period_kind     VARCHAR NOT NULL,   -- month | quarter | financial_year | calendar_year
    period_start    DATE NOT NULL,      -- first day of its first month
    period_end      DATE NOT NULL,      -- first day of its last month
    area_level      VARCHAR NOT NULL,   -- borough | ward
    area_name       VARCHAR NOT NULL,
    area_code       VARCHAR NOT NULL,   -- '' where none is known
    value           DOUBLE NOT NULL,
    source          VARCHAR NOT NULL,   -- the partner who reports it ('CCTV control room')
    target          DOUBLE,             -- NULL: no target
    direction       VARCHAR NOT NULL,   -- higher_is_better | lower_is_better | '' (the measure's own, if any)
    note            VARCHAR NOT NULL,
    file_id         INTEGER NOT NULL,
    line            INTEGER NOT NULL    -- the file's line the value came from
);
