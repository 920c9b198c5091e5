"""The app side: the only part of sbp that imports Streamlit."""

from pathlib import Path

# The browser tab's icon, shipped with the package: Streamlit sends an SVG file as a data: URL, so the tab icon
# needs no request at all (a ":material/...:" icon is fetched from fonts.gstatic.com, which a council network may block).
PAGE_ICON = Path(__file__).with_name("icon.svg")
# The Overview's addresses besides "/" (typed, bookmarked, in older links): app.py hands each over to "/".
OVERVIEW_LINKS = ("board", "overview")
