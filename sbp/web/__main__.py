"""Start the dashboard: `python -m sbp.web [streamlit run options]`, e.g. `python -m sbp.web --server.port 8502`.

`python -m sbp.web --processes N [options]` runs N servers behind HAProxy instead, on the same address and port
(sbp/web/processes.py): one server uses one core.

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

APP = Path(__file__).resolve().parents[2] / "app.py"


def main(options: list[str]) -> None:
    """Run the dashboard's server with these `streamlit run` options, or N of them behind HAProxy (never returns)."""
    if any(o == "--processes" or o.startswith("--processes=") for o in options):
        serve_several(options)
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


def serve_several(options: list[str]) -> None:
    """`--processes N`: the supervisor of N servers and HAProxy, without importing Streamlit itself (exits)."""
    from sbp.errors import ServeError
    from sbp.web import processes

    i = next(i for i, o in enumerate(options) if o == "--processes" or o.startswith("--processes="))
    value = options[i].partition("=")[2] if "=" in options[i] else (options[i + 1] if i + 1 < len(options) else "")
    rest = options[:i] + options[i + (1 if "=" in options[i] else 2):]
    try:
        if not value.isdigit():
            raise ServeError(f"--processes takes a whole number of servers (got {value!r}).")
        sys.exit(processes.serve(int(value), rest))
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
