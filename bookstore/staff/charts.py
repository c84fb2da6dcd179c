"""Sales charts drawn on the server as SVG: no script, readable without reading numbers."""

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from bookstore.money import format_cents


@dataclass(frozen=True)
class DaySales:
    day: date
    revenue_cents: int
    orders: int


def _nice_ceiling(value: int) -> int:
    """Round up to 1, 2 or 5 times a power of ten, so the gridlines read well."""
    if value <= 0:
        return 100
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def daily_sales_svg(days: list[DaySales], *, currency: str = "USD", width: int = 720) -> str:
    """A bar chart of revenue per day, with a title, a description and labelled gridlines."""
    height, left, right, top, bottom = 260, 64, 12, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_ceiling(max((d.revenue_cents for d in days), default=0))
    total = sum(d.revenue_cents for d in days)
    first = days[0].day.isoformat() if days else ""
    last = days[-1].day.isoformat() if days else ""
    title = f"Daily sales, {first} to {last}" if days else "Daily sales"
    description = (
        f"{len(days)} days, {format_cents(total, currency)} in total, "
        f"best day {format_cents(max((d.revenue_cents for d in days), default=0), currency)}."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="sales-chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for i in range(5):
        value = peak * i // 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#ddd6c8" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#55575d">{escape(format_cents(value, currency))}</text>'
        )
    if days:
        slot = plot_w / len(days)
        bar = max(slot * 0.7, 1)
        label_every = max(1, len(days) // 8)
        for i, d in enumerate(days):
            h = plot_h * d.revenue_cents / peak
            x = left + i * slot + (slot - bar) / 2
            label = f"{d.day.isoformat()}: {format_cents(d.revenue_cents, currency)}, "
            label += f"{d.orders} order{'s' if d.orders != 1 else ''}"
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="#9b1c1c"><title>{escape(label)}</title></rect>'
            )
            if i % label_every == 0:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" '
                    f'text-anchor="middle" font-size="11" fill="#55575d">'
                    f"{d.day.strftime('%b %d')}</text>"
                )
    parts.append("</svg>")
    return "".join(parts)
