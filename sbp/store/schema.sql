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
    scheme          VARCHAR NOT NULL DEFAULT ''  -- MPS category scheme(s) of the month, comma-separated; '' for none
);
ALTER TABLE month_index ADD COLUMN IF NOT EXISTS scheme VARCHAR DEFAULT '';

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
