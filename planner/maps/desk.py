"""The desk beside the served map: the parcel table, the indicator dashboard and the editing form.

The desk is plain browser code in ``static/desk.js`` and ``static/desk.css`` (with ECharts,
``static/echarts.min.js``), served by the API at ``/assets/``; :func:`with_desk` adds the
tags that load them to a map page. It reads everything from the API (``/parcels``, ``/stats``,
``/idle``, ``/infra/sources``), so it is part of the served app only, not of maps written to files.
Nothing is fetched until the desk is opened (ECharts, 1 MB, only with the dashboard), so the
map's first draw is not delayed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DESK_TAGS", "STATIC_DIR", "with_desk"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The browser files shipped with the package."""

DESK_TAGS = '<link rel="stylesheet" href="assets/desk.css"><script src="assets/desk.js" defer></script>'
"""What a served map page needs for the desk (URLs relative to the page; the park is the page's own)."""


def with_desk(html: str) -> str:
    """The map page ``html`` with :data:`DESK_TAGS` before its ``</body>`` (at its end if it has none)."""
    at = html.rfind("</body>")
    return html[:at] + DESK_TAGS + html[at:] if at >= 0 else html + DESK_TAGS
