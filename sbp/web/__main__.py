"""Start the dashboard: `python -m sbp.web [streamlit run options]`, e.g. `python -m sbp.web --server.port 8502`.

The same as `streamlit run app.py`, with one difference: Streamlit treats a folder named pages/ beside the entry
script as its old multipage layout until st.navigation first runs, so the first session after every start would
open a linked page (/overview, /explore) under a "Page not found" dialog. app.py always calls st.navigation, so
that old mode is switched off before the server starts.

Checked against Streamlit 1.67.0: PagesManager decides the mode from whether <entry folder>/pages exists, and only
st.navigation's first run turns it off; no configuration option or command-line flag sets it. The one public way
round it is a page folder with another name, which would rename pages/ for every reader of the layout, so the
class attribute is set here, in this one place; tests/integration/test_protocol_load.py opens /overview as the
first session of a fresh server to prove it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

APP = Path(__file__).resolve().parents[2] / "app.py"


def main(options: list[str]) -> None:
    """Run the dashboard's server with these `streamlit run` options (never returns)."""
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
