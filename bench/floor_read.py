"""The ingest floor as a whole process: Python, `import duckdb`, DuckDB's own read_csv + UNPIVOT of a wide MPS file
into a table in a new file, CHECKPOINT. Nothing else is imported: `python bench/floor_read.py FILE OUT.duckdb`."""

import sys

import duckdb

path, out = sys.argv[1], sys.argv[2]
con = duckdb.connect(out)
cols = [c[0] for c in con.execute("SELECT * FROM read_csv($p, header = true) LIMIT 0", {"p": path}).description]
months = ", ".join(f'"{c}"' for c in cols if c.isdigit())
con.execute(f"CREATE TABLE t AS UNPIVOT (SELECT * FROM read_csv($p, header = true)) ON {months} "
            "INTO NAME month VALUE offence_count", {"p": path})
con.execute("CHECKPOINT")
con.close()
