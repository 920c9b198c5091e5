"""The dashboard's page CSS: the base badge style and presenter mode (large type, no controls)."""

PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"] { display: none !important; }
html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMain"] h2 { font-size: 2.0rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 3rem !important; line-height: 1.2; }
[data-testid="stMetricLabel"] p { font-size: 1.3rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.3rem; line-height: 1.5; }
.block-container { max-width: 1800px; padding-top: 3rem; }
</style>
"""

BASE_CSS = """
<style>
.sbp-badge { display: inline-block; padding: 0.15em 0.6em; border-radius: 0.4em; font-weight: 600; }
.sbp-stamp { color: #555; font-size: 0.9rem; }
</style>
"""
