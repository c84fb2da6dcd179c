"""The dashboard's sales chart is valid, accessible SVG scaled to the data."""

from datetime import date, timedelta
from xml.etree import ElementTree

from bookstore.staff.charts import DaySales, _nice_ceiling, daily_sales_svg

SVG = "{http://www.w3.org/2000/svg}"


def days(revenues):
    start = date(2026, 11, 1)
    return [DaySales(start + timedelta(days=i), cents, 1) for i, cents in enumerate(revenues)]


def test_chart_has_one_bar_per_day_scaled_to_the_best_day():
    svg = ElementTree.fromstring(daily_sales_svg(days([1000, 5000, 0, 2500])))
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 4
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[1] == max(heights)
    assert heights[2] == 0
    assert heights[0] * 5 == heights[1]


def test_chart_is_labelled_for_screen_readers():
    svg = ElementTree.fromstring(daily_sales_svg(days([1000, 2000])))
    assert svg.get("role") == "img"
    assert "2026-11-01 to 2026-11-02" in svg.find(f"{SVG}title").text
    assert "$30.00 in total" in svg.find(f"{SVG}desc").text
    bar_titles = [rect.find(f"{SVG}title").text for rect in svg.findall(f"{SVG}rect")]
    assert bar_titles[1] == "2026-11-02: $20.00, 1 order"


def test_empty_chart_is_still_valid():
    svg = ElementTree.fromstring(daily_sales_svg([]))
    assert svg.findall(f"{SVG}rect") == []


def test_gridlines_round_to_readable_values():
    assert [_nice_ceiling(v) for v in (0, 7, 130, 4999, 5001)] == [100, 10, 200, 5000, 10000]
