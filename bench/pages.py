"""`python -m bench pages`: each page's script run time in Streamlit's AppTest on the 14-year demo store.

AppTest gives every run a fresh st.cache_data store, so "warm" here means a warm process (DuckDB buffers,
imports, measure frames) but cold Streamlit caches: an upper bound on what a user waits for.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from sbp.ingest.demo import build_demo

REPO = Path(__file__).resolve().parent.parent
PAGES = {
    "overview": "pages/overview_page.py", "priority (Safer Neighbourhoods)": "pages/priority_page.py",
    "explore": "pages/explore_page.py", "rankings": "pages/rankings_page.py", "wards": "pages/wards_page.py",
    "data": "pages/data_page.py",
}


def bench_pages(repeat: int = 5, smoke: bool = False) -> list[dict]:
    """Print JSON lines: first-load and warm seconds per page (smoke: one warm rerun)."""
    repeat = 1 if smoke else repeat
    from streamlit.testing.v1 import AppTest

    results = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-pages-") as tmp:
        db = Path(tmp) / "sbp.duckdb"
        build_demo(db)
        os.environ["SBP_DB"] = str(db)
        for name, script in PAGES.items():
            at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
            start = time.perf_counter()
            at.run()
            if script != PAGES["overview"]:
                at.switch_page(script)
                at.run()
            first = time.perf_counter() - start
            assert not at.exception, [e.value for e in at.exception]
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - start)
            row = {"page": name, "first_load_s": round(first, 3), "warm_median_s": round(statistics.median(times), 3),
                   "warm_max_s": round(max(times), 3)}
            results.append(row)
            print(json.dumps(row), flush=True)
    return results
