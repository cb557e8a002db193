"""The desk beside the served map: the parcel table, the indicator dashboard and the editing form.

The desk is plain browser code in ``static/desk.js`` and ``static/desk.css`` (with ECharts,
``static/echarts.min.js``), served by the API at ``/assets/``; :func:`with_desk` adds the
tags that load them to a map page. It reads everything from the API (``/parcels``, ``/stats``,
``/idle``, ``/infra/sources``), so it is part of the served app only, not of maps written to files.
Nothing is fetched until the desk is opened (ECharts, 1 MB, only with the dashboard), so the
map's first draw is not delayed.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["STATIC_DIR", "with_desk"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
"""The browser files shipped with the package."""

_TAGS = '<link rel="stylesheet" href="assets/desk.css"><script src="assets/desk.js" defer></script>'


def with_desk(html: str, *, park: str) -> str:
    """The map page ``html`` with the desk's scripts, for the park ``park`` (URLs relative to the page)."""
    settings = json.dumps({"park": park}).replace("</", "<\\/")  # a park id cannot end the script
    tags = f"<script>window.plannerDesk = {settings};</script>" + _TAGS
    at = html.rfind("</body>")
    return html[:at] + tags + html[at:] if at >= 0 else html + tags
