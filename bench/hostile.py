"""`python -m bench.hostile [NAME ...]`: peak memory of the CLI and of the upload path on each hostile recipe of issue 23.

Each recipe is generated into $SBP_BENCH_DIR/hostile (default /tmp/sbp-bench/hostile; never committed) and loaded
twice, each in its own fresh Python so its peak (VmHWM) is its own: by `python -m sbp ingest` into a copy of the demo
store, and through the Data page's upload (Streamlit's AppTest: sign in, upload, Load). Prints one JSON line per
recipe: file size, the first line of what each said, and each peak in MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

from bench.ingest import BENCH_DIR, REPO

OUT = BENCH_DIR / "hostile"
SHEET = "MPS_MonthlyCrimeDashboard_Other"
HEADER = ["Month_Year", "Area Type", "Borough_SNT", "Area name", "Area code", "Crime Type", "Crime Subtype", "Measure",
          "Financial Year", "FY_FYIndex", "Count", "Refresh Date"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
POLICE_HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
               "Last outcome category,Context\n")


def _cells(values: list, refs: int | None) -> str:
    out = []
    for i, v in enumerate(values):
        ref = f' r="{chr(65 + i)}{refs}"' if refs else ""
        out.append(f"<c{ref}><v>{v}</v></c>" if isinstance(v, (int, float))
                   else f'<c{ref} t="inlineStr"><is><t>{v}</t></is></c>')
    return "".join(out)


def xlsx(path: Path, sheets: dict[str, Callable[[], object]], shared: str | None = None, level: int = 6) -> Path:
    """A workbook written part by part; each sheet a callable giving its row XML strings, in batches."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                      '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                      'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')
        book.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                      f'2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
                      "</Relationships>")
        book.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>' + "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1)) + "</sheets></workbook>")
        rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(sheets) + 1))
        if shared is not None:
            rels += f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
                for start in range(0, len(shared), 1 << 24):
                    part.write(shared[start:start + (1 << 24)].encode())
                part.write(b"</t></si></sst>")
        book.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                      f'package/2006/relationships">{rels}</Relationships>')
        for i, rows in enumerate(sheets.values(), 1):
            with book.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>'.encode())
                for batch in rows():
                    part.write(batch.encode())
                part.write(b"</sheetData></worksheet>")
    return path


def bomb(rows: int) -> Callable[[], object]:
    """The header, then rows identical Bromley rows without references, in batches of 10,000."""
    one = "<row>" + _cells([45231, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Offences",
                            "fy", "x", 3, 45231], None) + "</row>"

    def gen():
        yield "<row>" + _cells(HEADER, None) + "</row>"
        for _ in range(rows // 10_000):
            yield one * 10_000
    return gen


def wrong_sheet(rows: int) -> Callable[[], object]:
    def gen():
        for start in range(1, rows + 1, 10_000):
            yield "".join(f'<row r="{n}">' + _cells([f"a{n}", f"b{n % 97}", n, n * 2, "x" * (n % 13)], n) + "</row>"
                          for n in range(start, min(start + 10_000, rows + 1)))
    return gen


def dashboard_month(month: int) -> Callable[[], object]:
    def gen():
        yield '<row r="1">' + _cells(HEADER, 1) + "</row>"
        yield '<row r="2">' + _cells([month, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime",
                                      "Offences", "fy", "x", 3, 45231], 2) + "</row>"
    return gen


def text_file(path: Path, head: str, line: Callable[[int], str], megabytes: float, count: int | None = None) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(head)
        n = 0
        while (count is None and handle.tell() < megabytes * 1e6) or (count is not None and n < count):
            handle.write("".join(line(i) for i in range(n, n + 1000 if count is None else min(n + 1000, count))))
            n += 1000
    return path


def widest(rows: int) -> Callable[[], object]:
    """A dashboard sheet as wide and long as the limits allow: 13 columns (one beyond the published 12), rows distinct."""
    def gen():
        yield '<row r="1">' + _cells(HEADER + ["Extra"], 1) + "</row>"
        for start in range(2, rows + 2, 10_000):
            yield "".join(f'<row r="{n}">' + _cells([44409 + n % 1400, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime",
                                                     f"Subtype {n % 20}", "Offences", "fy21-22", "21-22_01", n % 500, 45871,
                                                     n], n) + "</row>"
                          for n in range(start, min(start + 10_000, rows + 2)))
    return gen


def real_release(folder: Path) -> Path:
    from bench.workbook import generated

    return generated()[0]


MONTHS24 = [f"{2022 + i // 12}{i % 12 + 1:02d}" for i in range(24)]
RECIPES: dict[str, Callable[[Path], Path]] = {
    "48-month workbook (the real release's size, loads)": real_release,
    "largest sheet within the limits (549,999 rows of 13 columns)": lambda p: xlsx(p / "largest.xlsx", {SHEET: widest(549_998)}),
    "xlsx zip bomb, 3 million identical rows": lambda p: xlsx(p / "bomb_3m.xlsx", {SHEET: bomb(3_000_000)}),
    "xlsx zip bomb, 10 million identical rows": lambda p: xlsx(p / "bomb_10m.xlsx", {SHEET: bomb(10_000_000)}, level=1),
    "xlsx with one 400 MB shared string": lambda p: xlsx(p / "shared_400mb.xlsx", {SHEET: dashboard_month(45231)},
                                                         shared="a" * 400_000_000, level=9),
    "xlsx without the dashboard sheet (300,000 rows)": lambda p: xlsx(p / "wrong_sheet.xlsx", {"Sheet1": wrong_sheet(300_000)}),
    "xlsx month 9999-12-31": lambda p: xlsx(p / "month_9999.xlsx", {SHEET: dashboard_month(2958465)}),
    "long file month 0001-01": lambda p: text_file(p / "month_0001.csv", "month,area,category,count\n",
                                                   lambda i: f"0001-01,Bromley,ASB calls {i % 10},{i % 7}\n", 0, 10),
    "wide file of 700,530 junk categories (50 MB)": lambda p: text_file(
        p / "junk_categories.csv", "MajorText,MinorText,LookUp_BoroughName," + ",".join(MONTHS24) + "\n",
        lambda i: f"Junk,Category {i},Bromley," + ",".join("1" for _ in MONTHS24) + "\n", 0, 700_530),
    "police.uk file of 490,000 invented forces (50 MB)": lambda p: text_file(
        p / "forces.csv", POLICE_HEAD,
        lambda i: f",2023-11,Force {i},Force {i},-2.5,51.4,On or near X,E01014485,Bristol 001A,Burglary,,\n", 0, 490_000),
    "long file with a 500,000-character category": lambda p: text_file(
        p / "long_field.csv", "month,area,category,count\n", lambda i: f"2023-11,Bromley,{'A' * 500_000},3\n", 0, 1),
    "53 MB CSV of malformed rows": lambda p: text_file(
        p / "malformed.csv", "MajorText,MinorText,LookUp_BoroughName," + ",".join(MONTHS24) + "\n",
        lambda i: "Burglary,Domestic Burglary,Bromley\n", 53),
}

PEAK = """
import sys
{body}
print("PEAK_KB", open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
"""
CLI = """
from sbp.cli import main
main(["ingest", "--db", {db!r}, {path!r}])
"""
UPLOAD = """
from pathlib import Path
from streamlit.testing.v1 import AppTest
from sbp.display.formatting import shown_text
from sbp.web.auth import hash_password
at = AppTest.from_file({app!r}, default_timeout=600)
at.secrets["admin"] = {{"username": "analyst", "password_hash": hash_password("pw-for-the-bench", iterations=600_000)}}
at.run()
at.switch_page("pages/data_page.py").run()
at.text_input[0].input("analyst")
at.text_input[1].input("pw-for-the-bench")
at.button[0].click().run()
at.file_uploader[0].set_value(({name!r}, Path({path!r}).read_bytes(), "application/octet-stream"))
at.run()
at.button(key="data_load").click().run()
for e in at.error:
    print("error:", shown_text(e.value))
for e in at.exception:
    print("exception:", e.value)
"""


def measured(body: str, env: dict[str, str]) -> tuple[str, int]:
    """Run body in a fresh Python: (the first line it printed starting 'error:', its peak resident memory in MB)."""
    proc = subprocess.run([sys.executable, "-c", PEAK.format(body=textwrap.dedent(body))], cwd=REPO,
                          env=os.environ | {"PYTHONPATH": str(REPO)} | env, capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    said = next((line for line in out.splitlines() if line.startswith(("error:", "exception:"))), out.strip()[-200:])
    peak = int(out.split("PEAK_KB", 1)[1].split()[0]) // 1024 if "PEAK_KB" in out else -1
    return said[:220], peak


def run(names: list[str]) -> list[dict]:
    """Generate each recipe (once) and measure it through the CLI and the upload path."""
    from sbp.ingest.demo import build_demo

    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="sbp-bench-hostile-") as tmp:
        demo = Path(tmp) / "demo" / "sbp.duckdb"
        build_demo(demo)
        for name, make in RECIPES.items():
            if names and not any(n.lower() in name.lower() for n in names):
                continue
            marker = OUT / (name.replace(" ", "_").replace("/", "_") + ".path")
            path = Path(marker.read_text()) if marker.exists() and Path(marker.read_text()).exists() else make(OUT)
            marker.write_text(str(path))
            row = {"recipe": name, "file_mb": round(path.stat().st_size / 1e6, 2)}
            for how, body in (("cli", CLI), ("upload", UPLOAD)):
                db = Path(tmp) / how / "sbp.duckdb"
                shutil.rmtree(db.parent, ignore_errors=True)
                shutil.copytree(demo.parent, db.parent)
                said, peak = measured(body.format(db=str(db), path=str(path), app=str(REPO / "app.py"), name=path.name),
                                      {"SBP_DB": str(db)})
                row[f"{how}_peak_mb"], row[f"{how}_said"] = peak, said
            results.append(row)
            print(json.dumps(row), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only the recipes whose names contain one of these")
    run(parser.parse_args(argv).names)


if __name__ == "__main__":
    main()
