"""Overlapping extracts: newer files replace the months they cover; nothing is double counted."""

from __future__ import annotations

from sbp import store
from sbp.ingest import ingest


def wide(months: list[str], rows: list[tuple[str, str, str, list[int]]]) -> str:
    lines = ["MajorText,MinorText,LookUp_BoroughName," + ",".join(months)]
    lines += [f"{a},{b},{c}," + ",".join(str(v) for v in vals) for a, b, c, vals in rows]
    return "\n".join(lines) + "\n"


OLD = wide(["202301", "202302", "202303"], [("Burglary", "Domestic Burglary", "Bromley", [10, 20, 30]),
                                             ("Burglary", "Domestic Burglary", "Bexley", [1, 2, 3])])
NEW = wide(["202302", "202303", "202304"], [("Burglary", "Domestic Burglary", "Bromley", [21, 31, 40]),
                                             ("Burglary", "Domestic Burglary", "Bexley", [2, 3, 4])])


def monthly(db) -> dict[tuple[str, str], int]:
    with store.connect_read(db) as con:
        rows = con.execute(
            "SELECT strftime(month, '%Y%m'), borough, sum(offence_count) FROM crime_counts GROUP BY ALL"
        ).fetchall()
    return {(m, b): int(n) for m, b, n in rows}


def test_newer_extract_replaces_overlapping_months(db, write_csv):
    ingest([write_csv("old.csv", OLD)], db=db)
    summary = ingest([write_csv("new.csv", NEW)], db=db)[0]
    assert summary.months_replaced == 2
    got = monthly(db)
    assert got[("202301", "Bromley")] == 10      # only the old file has January
    assert got[("202302", "Bromley")] == 21      # revised value, not 20 + 21
    assert got[("202304", "Bromley")] == 40
    assert sum(v for (m, b), v in got.items() if b == "Bromley") == 10 + 21 + 31 + 40
    with store.connect_read(db) as con:
        names = [r[0] for r in con.execute("SELECT file_name FROM source_files ORDER BY file_id").fetchall()]
    assert names == ["old.csv", "new.csv"]


def test_load_order_does_not_matter(db, tmp_path, write_csv):
    old, new = write_csv("old.csv", OLD), write_csv("new.csv", NEW)
    ingest([old], db=db)
    ingest([new], db=db)
    other = tmp_path / "other" / "sbp.duckdb"
    ingest([new], db=other)
    summary = ingest([old], db=other)[0]
    assert summary.months_kept == 2
    assert monthly(db) == monthly(other)


def test_both_files_in_one_call(db, write_csv):
    ingest([write_csv("new.csv", NEW), write_csv("old.csv", OLD)], db=db)
    assert monthly(db)[("202303", "Bexley")] == 3
    assert sum(monthly(db).values()) == 10 + 21 + 31 + 40 + 1 + 2 + 3 + 4


def test_same_file_twice_changes_nothing(db, write_csv):
    path = write_csv("old.csv", OLD)
    ingest([path], db=db)
    version = store.data_version(db)
    before = monthly(db)
    summary = ingest([path], db=db)[0]
    assert summary.skipped
    assert monthly(db) == before
    assert store.data_version(db) == version
    with store.connect_read(db) as con:
        assert con.execute("SELECT count(*) FROM source_files").fetchone()[0] == 1


def test_same_content_under_two_names_is_loaded_once(db, write_csv):
    ingest([write_csv("a.csv", OLD), write_csv("b.csv", OLD)], db=db)
    assert monthly(db)[("202301", "Bromley")] == 10


def test_borough_and_ward_levels_are_kept_apart(db, write_csv):
    ward = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202302\nBurglary,Domestic Burglary,Orpington,E05014001,Bromley,7\n"
    ingest([write_csv("old.csv", OLD), write_csv("ward.csv", ward)], db=db)
    with store.connect_read(db) as con:
        levels = dict(con.execute(
            "SELECT area_level, sum(offence_count) FROM crime_counts WHERE borough = 'Bromley' AND month = DATE '2023-02-01' GROUP BY 1"
        ).fetchall())
    assert levels == {"borough": 20, "ward": 7}


def test_long_series_in_separate_files_do_not_replace_each_other(db, write_csv):
    ingest([
        write_csv("asb.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,800\n"),
        write_csv("hate.csv", "month,area,category,count\n2023-11,Bromley,Hate crime,30\n"),
    ], db=db)
    ingest([write_csv("asb2.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,805\n")], db=db)
    with store.connect_read(db) as con:
        got = dict(con.execute("SELECT minor_category, offence_count FROM crime_counts").fetchall())
    assert got == {"ASB calls": 805, "Hate crime": 30}
