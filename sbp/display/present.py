"""The dashboard's page CSS: the base badge style and presenter mode (large type, no controls)."""

PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"] { display: none !important; }
/* Type grows with the screen: 18px at 1366x768, about 21px at 1920x1080 (rem sizes below follow it). */
html, body, [data-testid="stAppViewContainer"] { font-size: clamp(18px, calc(0.9vw + 0.35vh), 24px); }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100%; padding: 0.6rem 1.4rem 1rem 1.4rem; }
[data-testid="stMain"] h1 { font-size: 2.0rem; padding: 0 0 0.1rem 0; max-width: calc(100% - 22rem); }
[data-testid="stMain"] h2 { font-size: 1.6rem; padding: 0.4rem 0 0.2rem 0; }
[data-testid="stMain"] h3 { font-size: 1.35rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.05rem; line-height: 1.4; }
[data-testid="stCaptionContainer"] p { font-size: 1rem; }
[data-testid="stVerticalBlock"] { gap: 0.5rem; }
.sbp-card { padding: 0.35rem 0.7rem; }
.sbp-card-value { font-size: 1.9rem; }
.sbp-card-label { font-size: 0.9rem; }
.sbp-card-delta { font-size: 0.9rem; }
.sbp-table { font-size: 1.05rem; }
.st-key-sbp_slide_nav { position: fixed; top: 0.4rem; right: 1rem; z-index: 1000; width: auto !important;
  max-width: 21rem; flex-wrap: wrap; justify-content: flex-end; row-gap: 0.1rem;
  background: rgba(255,255,255,0.92); align-items: center; gap: 0.5rem; }
/* The date stamp goes under the slide buttons, so the title keeps all but the buttons' width of the first line. */
.st-key-sbp_slide_nav > div:has(.sbp-stamp) { order: 9; flex-basis: 100%; text-align: right; }
.st-key-sbp_slide_nav .sbp-stamp { font-size: 0.85rem; margin: 0; }
.st-key-sbp_slide_nav p { font-size: 0.9rem; }
.st-key-sbp_measure_nav { max-width: calc(100% - 22rem); }
ul.sbp-brief li { margin-bottom: 0.15rem; }
.st-key-sbp_measure_nav button { min-height: 2rem; padding: 0.1rem 0.6rem; }
.st-key-sbp_measure_nav [data-testid="stCaptionContainer"] p { margin: 0; }
/* A priority slide is one screen high: the block under the title (sbp_slide) takes the height the title leaves, and
   its charts (sbp_slide_charts, height="stretch", a spec sized by its container) the height the cards leave. */
[data-testid="stMainBlockContainer"]:has(.st-key-sbp_slide) { height: 100vh; display: flex; flex-direction: column;
  box-sizing: border-box; }
[data-testid="stMainBlockContainer"]:has(.st-key-sbp_slide) > [data-testid="stVerticalBlock"],
[data-testid="stLayoutWrapper"]:has(> .st-key-sbp_slide), .st-key-sbp_slide > [data-testid="stLayoutWrapper"],
[data-testid="stLayoutWrapper"]:has(> .st-key-sbp_slide_charts) { flex: 1 1 0; min-height: 0; }
.st-key-sbp_slide > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"],
.st-key-sbp_slide [data-testid="stColumn"] > [data-testid="stVerticalBlock"], .st-key-sbp_slide_charts { height: 100%; }
/* A long objectives list scrolls in its column rather than stretching the row, and the charts with it, off the screen. */
.st-key-sbp_slide [data-testid="stColumn"] { max-height: 100%; overflow-y: auto; }
</style>
"""

BASE_CSS = """
<style>
.sbp-badge { display: inline-block; padding: 0.1em 0.5em; border-radius: 0.4em; font-weight: 600; white-space: nowrap; }
.sbp-stamp { color: #555; font-size: 0.9rem; }
.sbp-cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0.6rem; margin-bottom: 0.2rem; }
/* Streamlit pulls a Markdown block's bottom up by 1rem (for a trailing paragraph's margin); the cards have none,
   so without this the next chart covers their bottom edge. */
[data-testid="stMarkdownContainer"]:has(> .sbp-cards), [data-testid="stMarkdownContainer"]:has(> .sbp-partner-cards) {
  margin-bottom: 0 !important; }
.sbp-card { border: 1px solid rgba(49,51,63,0.2); border-radius: 0.5rem; padding: 0.5rem 0.75rem; overflow-wrap: anywhere; }
.sbp-card-label { font-size: 0.9rem; color: #31333f; }
.sbp-card-value { font-size: 1.9rem; font-weight: 600; line-height: 1.2; margin: 0.15rem 0; }
.sbp-card-delta { font-size: 0.9rem; font-weight: 600; }
.sbp-card-source, .sbp-card-target, .sbp-brief-source { font-size: 0.85rem; color: #555; }
/* Partner figures: styled as the police cards and the slide's brief list, with classes of their own (never counted
   as a measure's cards or the objectives' list). */
.sbp-partner-cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.6rem; margin-bottom: 0.2rem; }
.sbp-partner-label { font-size: 0.9rem; color: #31333f; }
.sbp-partner-value { font-size: 1.6rem; font-weight: 600; line-height: 1.2; margin: 0.15rem 0; }
ul.sbp-partner-brief { list-style: none; margin: 0; padding: 0; }
ul.sbp-partner-brief li { margin: 0 0 0.3rem 0; font-size: 0.92rem; line-height: 1.3; }
/* "No comparison" wraps between its words inside a narrow card, never inside one ("compariso / n"). */
.sbp-card .sbp-badge { white-space: normal; max-width: 100%; overflow-wrap: normal; word-break: normal; }
.sbp-card-value .sbp-badge { font-size: clamp(1rem, 2.2vw, 0.8em); }
.sbp-card-value .sbp-compare .sbp-badge { font-size: 1rem; }
.sbp-objective p { margin: 0.2rem 0 0.4rem 0; }
.sbp-objective ul { margin: 0.1rem 0 0.3rem 1.1rem; padding: 0; }
.sbp-objective-head { margin-bottom: 0.2rem; }
.sbp-sub { margin: 0.5rem 0 0.3rem 1.2rem; padding-left: 0.7rem; border-left: 3px solid #d0d3da; }
.sbp-objective-note, .sbp-review { color: #7a4b00; font-size: 0.85rem; }
/* As for the cards: without this the Details box below covers the review line's last words. */
[data-testid="stMarkdownContainer"]:has(> .sbp-review) { margin-bottom: 0.4rem !important; }
.sbp-side-title { font-weight: 700; font-size: 1.2rem; margin-bottom: 0.2rem; }
ul.sbp-brief { list-style: none; margin: 0; padding: 0; }
ul.sbp-brief li { margin: 0 0 0.3rem 0; font-size: 0.92rem; line-height: 1.3; }
ul.sbp-brief li.sbp-brief-sub { margin-left: 1.1rem; font-size: 0.85rem; }
.sbp-table-wrap { width: 100%; margin-bottom: 0.6rem; }
table.sbp-table { width: 100%; border-collapse: collapse; font-size: 0.9rem; table-layout: auto; }
table.sbp-table th, table.sbp-table td { border-bottom: 1px solid #e3e5ea; padding: 0.25rem 0.4rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
table.sbp-table th { font-weight: 600; background: #f5f6f8; }
table.sbp-board th:first-child { width: 17%; }
table.sbp-table td { overflow-wrap: normal; }
[data-testid="stSidebarNavLink"] { height: auto !important; min-height: 2rem; }
[data-testid="stSidebarNavLink"] span, [data-testid="stSidebarNavLink"] [data-testid="stMarkdownContainer"],
[data-testid="stSidebarNavLink"] p { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
table.sbp-table .num { text-align: right; }
table.sbp-table td.num { white-space: nowrap; }
</style>
"""
