"""Charts for /stats with matplotlib (Agg, no display), rendered in the media pool."""

from __future__ import annotations

import io

from telegemini.core.models import DailySeries
from telegemini.media.workers import run_media


def daily_chart_png(data: DailySeries, *, title: str) -> bytes:
    """A line chart of each series per day, as PNG bytes (Figure, not pyplot: thread-safe)."""
    # Imported on first use: matplotlib and numpy are ~40 MB the bot needs only for /stats.
    # A bare Figure renders with the Agg canvas: no display, no pyplot state.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4), dpi=110)
    axes = figure.add_subplot()
    labels = [day[5:] for day in data.days]  # MM-DD
    for name, values in data.series.items():
        axes.plot(labels, values, marker="o", linewidth=1.8, markersize=3, label=name)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")
    axes.set_ylim(bottom=0)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


class MatplotlibCharts:
    """``ChartRenderer`` on matplotlib, off the event loop."""

    async def daily_chart(self, data: DailySeries, *, title: str) -> bytes:
        return await run_media(daily_chart_png, data, title=title)
