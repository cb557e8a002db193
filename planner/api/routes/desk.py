"""The desk beside the map: who is signed in, the parcel table as Excel or CSV, and any chart's data as Excel.

``GET /parcels.xlsx`` and ``GET /parcels.csv`` take the filters and the sort of ``GET /parcels``
and answer every parcel that meets them (no paging), headed in Chinese with units and with
labels for codes (``lang=en``: in English). ``POST /sheet.xlsx`` writes a small table the page
sends — the data behind a chart of the dashboard — as a workbook. ``GET /me`` tells the page
whose token it holds, so that it shows edit controls to editors only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from planner.api.auth import find_secret
from planner.api.deps import NEED_TOKEN, Credentials, ParcelFilters, Park, matches, parcel_filters, viewer
from planner.api.errors import ApiError
from planner.api.messages import Text
from planner.api.state import ParkState
from planner.exchange.sheet import csv_bytes, parcel_table, unwritable, xlsx_bytes
from planner.maps.desk import STATIC_DIR

__all__ = ["ASSETS_URL", "XLSX_MEDIA", "Sheet", "add_assets", "router"]

ASSETS_URL = "/assets"
"""Where the desk's scripts and styles (``desk.js``, ``desk.css``) and ECharts are served from."""

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SORT = r"^-?(parcel_id|area_mu|name|status|updated_at)$"

router = APIRouter()


def add_assets(app: FastAPI) -> None:
    """Serve the files of ``planner/maps/static`` (the desk, ECharts, Leaflet) at :data:`ASSETS_URL`."""
    app.mount(ASSETS_URL, StaticFiles(directory=STATIC_DIR), name="assets")


def _download(body: bytes, filename: str, media: str) -> Response:
    """A file to save, its name given in UTF-8 (RFC 6266) so a Chinese name survives."""
    disposition = f"attachment; filename=\"{quote(filename)}\"; filename*=UTF-8''{quote(filename)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def _sorted_rows(state: ParkState, filters: ParcelFilters, sort: str, bbox: str | None) -> gpd.GeoDataFrame:
    """The parcels that meet the filters in the order ``sort`` asks (``-``: descending, ties by code)."""
    low, high = filters.min_area_mu, filters.max_area_mu
    if low is not None and high is not None and high < low:
        msg = Text(
            f"`max_area_mu` {high:g} 小于 `min_area_mu` {low:g}",
            f"`max_area_mu` {high:g} is below `min_area_mu` {low:g}",
        )
        raise ApiError(400, msg, field="max_area_mu")
    now, found = matches(state, filters, bbox)
    rows = now.parcels.iloc[found]
    key = sort.lstrip("-")
    if len(rows) and (key != "parcel_id" or sort.startswith("-")):
        order = rows[list(dict.fromkeys([key, "parcel_id"]))].reset_index(drop=True)
        order = order.sort_values([key, "parcel_id"], ascending=[not sort.startswith("-"), True], kind="stable")
        rows = rows.iloc[np.asarray(order.index)]
    return rows


_Sort = Annotated[str, Query(pattern=_SORT, description="column to sort by (`-` first: descending)")]
_Bbox = Annotated[str | None, Query(max_length=200, description="minlon,minlat,maxlon,maxlat (WGS84)")]
_Lang = Annotated[Literal["zh", "en"], Query(description="headers and labels in Chinese or English")]


@dataclass(frozen=True)
class _TableFile:
    """How one download of the parcel table is written: its suffix, media type, writer and what the route says."""

    suffix: str
    media: str
    write: Callable[[pd.DataFrame, str, list[str]], bytes]
    summary: str
    description: str


def _write_xlsx(table: pd.DataFrame, title: str, notes: list[str]) -> bytes:
    return xlsx_bytes(table, title=title, notes=notes)


def _write_csv(table: pd.DataFrame, title: str, notes: list[str]) -> bytes:
    return csv_bytes(table)


_TABLE_FILES = (
    _TableFile("xlsx", XLSX_MEDIA, _write_xlsx, "宗地表（Excel）/ The parcel table as Excel", "the workbook"),
    _TableFile("csv", "text/csv; charset=utf-8", _write_csv, "宗地表（CSV）/ The parcel table as CSV",
               "the table (UTF-8 with BOM)"),
)  # fmt: skip


def _table_route(kind: _TableFile) -> None:
    """``GET /parcels.<suffix>``: every parcel that meets the filters of ``GET /parcels``, written by ``kind``."""

    def download(
        filters: Annotated[ParcelFilters, Depends(parcel_filters)],
        state: Park,
        sort: _Sort = "parcel_id",
        bbox: _Bbox = None,
        lang: _Lang = "zh",
    ) -> Response:
        table = parcel_table(_sorted_rows(state, filters, sort, bbox), lang=lang)
        title = "宗地表" if lang == "zh" else "parcels"
        notes = [f"{state.park_id} · {len(table)} {'宗' if lang == 'zh' else 'parcels'}"]
        body = kind.write(table, title, notes)
        return _download(body, f"{state.park_id}-{title}.{kind.suffix}", kind.media)

    download.__name__ = f"parcels_{kind.suffix}"
    download.__doc__ = (
        "Every parcel that meets the filters of `GET /parcels` (no paging), labelled, with units in the headers."
    )
    router.get(
        f"/parcels.{kind.suffix}",
        summary=kind.summary,
        dependencies=[Depends(viewer)],
        response_class=Response,
        responses={200: {"content": {kind.media.split(";")[0]: {}}, "description": kind.description}},
    )(download)


for _kind in _TABLE_FILES:
    _table_route(_kind)


Cell = str | float | int | bool | None


class Sheet(BaseModel):
    """A small table to write as Excel: a title, the column headers, the rows (the data behind a chart)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=100, description="工作表名 / the sheet's title")
    columns: list[str] = Field(min_length=1, max_length=50, description="column headers, with their units")
    rows: list[list[Cell]] = Field(max_length=10_000, description="the rows, each as long as `columns`")
    notes: list[str] = Field(default_factory=list, max_length=20, description="lines written under the table")


def _check_text(sheet: Sheet) -> None:
    """Refuse (422, naming the place) text no workbook can hold: a control character, a lone surrogate."""
    texts = [("title", sheet.title)] + [(f"columns[{k}]", c) for k, c in enumerate(sheet.columns)]
    texts += [(f"notes[{k}]", n) for k, n in enumerate(sheet.notes)]
    texts += [
        (f"rows[{i}][{j}]", v) for i, row in enumerate(sheet.rows) for j, v in enumerate(row) if isinstance(v, str)
    ]
    for where, text in texts:
        problem = unwritable(text)
        if problem:
            raise ApiError(422, Text(f"`{where}`：{problem}", f"`{where}`: {problem}"), field=where.split("[")[0])


@router.post(
    "/sheet.xlsx",
    summary="图表数据（Excel）/ A chart's data as Excel",
    dependencies=[Depends(viewer)],
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA: {}}, "description": "the workbook"}},
)
def sheet_xlsx(sheet: Sheet) -> Response:
    """The table sent, as an Excel workbook named after its title."""
    for k, row in enumerate(sheet.rows):
        if len(row) != len(sheet.columns):
            msg = Text(f"第 {k + 1} 行有 {len(row)} 个值；`columns` 列出 {len(sheet.columns)} 列",
                       f"row {k + 1} has {len(row)} values; `columns` names {len(sheet.columns)}")  # fmt: skip
            raise ApiError(422, msg, field="rows")
    _check_text(sheet)
    table = pd.DataFrame(sheet.rows, columns=sheet.columns) if sheet.rows else pd.DataFrame(columns=sheet.columns)
    return _download(xlsx_bytes(table, title=sheet.title, notes=sheet.notes), f"{sheet.title}.xlsx", XLSX_MEDIA)


@router.get("/me", summary="当前用户 / Who the token belongs to")
def me(request: Request, credentials: Credentials) -> dict[str, str | bool]:
    """The user and role of the token sent (401 without a known one), and whether it may edit."""
    token = find_secret(request.app.state.tokens, credentials.credentials if credentials else None)
    if token is None:
        raise ApiError(401, NEED_TOKEN, field="Authorization", headers={"WWW-Authenticate": "Bearer"})
    return {"user": token.user, "role": token.role, "may_edit": token.may("editor")}
