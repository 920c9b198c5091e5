"""The ingest floor: DuckDB's own read_csv + UNPIVOT of a wide MPS file into a table, nothing else. As a whole process
(`python bench/floor_read.py FILE OUT.duckdb`) it imports only duckdb; bench/ingest.py times the same function."""

import sys

import duckdb


def unpivot_wide(con: duckdb.DuckDBPyConnection, path: str) -> bool:
    """Read a wide file's month columns (yyyymm) into table t, one row per cell; False when it has none."""
    cols = [c[0] for c in con.execute("SELECT * FROM read_csv($p, header = true) LIMIT 0", {"p": path}).description]
    months = ", ".join(f'"{c}"' for c in cols if c.isdigit())
    if not months:
        return False
    con.execute(f"CREATE TABLE t AS UNPIVOT (SELECT * FROM read_csv($p, header = true)) ON {months} "
                "INTO NAME month VALUE offence_count", {"p": path})
    return True


if __name__ == "__main__":
    out = duckdb.connect(sys.argv[2])
    unpivot_wide(out, sys.argv[1])
    out.execute("CHECKPOINT")
    out.close()
