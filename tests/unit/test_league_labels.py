"""The league chart's value labels never cross the comparator's dashed rule: a bar ending just short of it has its
label moved past the rule, at the widths the Rankings page draws it (1366x768 and 1920x1080 windows).

The case seen: Rankings, total notifiable offences to Jul 2023 on the shared files, Bromley 69.95 per 1,000 with
London at 102.52 and Westminster at 433.19 setting the scale: "69.95" was drawn across London's line.
"""

from __future__ import annotations

import re

import pytest

from sbp.display import charts
from tests.unit.test_charts import league_frame

# Jul 2023 on the shared files (rates per 1,000): a few boroughs either side of Bromley, and the scale's end
RATES = {"Richmond upon Thames": 60.96, "Harrow": 63.36, "Sutton": 64.42, "Bexley": 66.57, "Bromley": 69.95,
         "Barnet": 74.05, "Havering": 78.07, "Redbridge": 79.32, "Croydon": 87.14, "Lewisham": 98.52,
         "Greenwich": 99.92, "Barking and Dagenham": 102.53, "Newham": 106.52, "Westminster": 433.19}
LONDON = 102.52
# the bar chart's width on the page (its column of a 1366 and a 1920 wide window), and a narrow one
WIDTHS = (380, 534, 860)
TEXT = re.compile(r'<text aria-label="[^"]*value_text: ([^";]+)[^"]*"[^>]*translate\(([-\d.]+),[-\d.]+\)[^>]*'
                  r'font-size="([\d.]+)px"')
RULE = re.compile(r'<line [^>]*translate\(([-\d.]+),0\)[^>]*stroke-dasharray')


def _drawn(width: int, presenter: bool) -> tuple[float, list[tuple[str, float, float]]]:
    """(the rule's x, each value label's text with its left and estimated right x), in pixels, as Vega draws them."""
    vl_convert = pytest.importorskip("vl_convert")
    spec = charts.to_spec(charts.league_chart(league_frame(RATES, london_rate=LONDON), "Bromley", presenter=presenter,
                                              highlight=list(RATES)))
    spec["width"] = width
    svg = vl_convert.vegalite_to_svg(spec)
    (rule,) = [float(x) for x in RULE.findall(svg)]
    # 0.55 em a character: wider than the digits of the fonts used ('69.95' is about 0.5 em a character)
    labels = [(text, float(x), float(x) + 0.55 * float(size) * len(text)) for text, x, size in TEXT.findall(svg)]
    return rule, labels


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("presenter", [False, True])
def test_no_value_label_crosses_the_comparator_rule(width, presenter):
    rule, labels = _drawn(width, presenter)
    assert len(labels) == len(RATES)
    crossing = [(text, left, right) for text, left, right in labels if left - 1 <= rule <= right + 1]
    assert not crossing, (rule, crossing)


def test_a_moved_label_sits_just_past_the_rule_and_the_others_beside_their_bars():
    rule, labels = _drawn(534, False)  # the 1366 window: Bromley's bar ends about 25 px short of London's line
    at = {text: left for text, left, _ in labels}
    assert at["69.95"] == pytest.approx(rule + charts.LABEL_GAP_PX)  # moved just past the line
    assert at["106.52"] > rule + charts.LABEL_GAP_PX and at["433.19"] > at["106.52"]  # beyond it: unmoved
    rule, labels = _drawn(860, False)  # wider: Bromley's label fits before the line, so it stays at its bar
    at = {text: left for text, left, _ in labels}
    assert at["60.96"] < at["63.36"] < at["64.42"] < at["66.57"] < at["69.95"] < rule
    assert at["74.05"] == pytest.approx(rule + charts.LABEL_GAP_PX)
