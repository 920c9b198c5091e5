"""The exceptions panel's chance sentence reads as English for one series and for a scan that tested nothing."""

from __future__ import annotations

from types import SimpleNamespace

from sbp.display.exceptions_view import chance_sentence


def scan(cells_tested: int, by_chance: float, area_cells: int, area_chance: float, series: int = 30) -> SimpleNamespace:
    """What chance_sentence reads of an ExceptionScan."""
    return SimpleNamespace(by="minor", series_tested=series, cells_tested=cells_tested,
                           expected_by_chance=by_chance, chance_in=lambda area: (area_cells, area_chance))


def test_one_category_is_not_one_of_one_categories() -> None:
    text = chance_sentence(scan(900, 0.9, 1, 0.001), "borough", "Bromley")
    # 1 / (1 - exp(-0.001)) = 1000.5002: one month in 1,001
    assert "Bromley's only category tested would be flagged by chance about one month in 1,001" in text, text
    assert "1 categories" not in text and "one of" not in text


def test_several_categories_keep_one_of() -> None:
    text = chance_sentence(scan(900, 0.9, 40, 0.04), "borough", "Bromley")
    assert text.startswith("With nothing unusual, one of Bromley's 40 categories tested"), text


def test_a_scan_that_tested_nothing_london_wide_says_no_london_figure() -> None:
    text = chance_sentence(scan(0, 0.0, 0, 0.0), "borough", "Bromley")
    assert "across London" not in text and "of 0" not in text, text
    assert text == "No category could be tested for Bromley this month."
