"""``/export/{fmt}``: the parcels that meet the filters as a file for the land bureau.

GeoJSON, a GeoPackage, a zipped Shapefile, the attributes as CSV, or the boundary-coordinate TXT
(in GBK). ``labels`` (``zh``, the default, or ``codes``) and ``crs`` are checked as
``planner export`` checks ``--labels`` and ``--crs``, with the same messages. The file is written
to a folder of its own, removed once the answer is sent; it is named for the park in
``Content-Disposition`` (a UTF-8 Chinese name, with an ASCII one for older clients).
"""

from __future__ import annotations

import shutil
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from planner.api.deps import ParcelFilters, Park, parcel_filters, viewer
from planner.api.errors import ApiError
from planner.api.messages import Text
from planner.errors import FilterError
from planner.exchange.export import export_parcels
from planner.exchange.shp_write import LABELS

__all__ = ["CSV_MEDIA", "TXT_MEDIA", "ExportFormat", "check_export_query", "content_disposition", "router"]

TXT_MEDIA = "text/plain; charset=gbk"
"""The boundary-coordinate TXT is written in GBK, as the land bureau's systems read it."""
CSV_MEDIA = "text/csv; charset=utf-8"
"""The CSV is UTF-8 with a byte-order mark, so that Excel in China opens it ungarbled."""
_MEDIA = {
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "txt": TXT_MEDIA,
    "csv": CSV_MEDIA,
    "shp": "application/zip",
}
_CRS = ("4490", "gk")
_FIXED_CRS = {
    "geojson": "WGS84 (RFC 7946)",
    "txt": "Gauss–Krüger with zone prefix (报部格式)",
    "csv": "without geometry",
}

router = APIRouter(dependencies=[Depends(viewer)])


class ExportFormat(str, Enum):  # noqa: UP042 - FastAPI documents str enums as allowed values
    """The formats parcels may be downloaded in."""

    geojson = "geojson"
    gpkg = "gpkg"
    shp = "shp"
    txt = "txt"
    csv = "csv"


def check_export_query(fmt: str, crs: str | None, labels: str) -> None:
    """Refuse ``crs`` and ``labels`` as ``planner export`` refuses ``--crs`` and ``--labels`` (HTTP 400)."""
    if crs is not None and fmt in _FIXED_CRS:
        msg = Text(
            f"{fmt} 固定为 {_FIXED_CRS[fmt]}；crs 只用于 gpkg 和 shp",
            f"{fmt} is always {_FIXED_CRS[fmt]}; crs is for gpkg and shp",
        )
        raise ApiError(400, msg, field="crs")
    if crs is not None and crs not in _CRS:
        msg = Text(f"'{crs}' 不被允许；请用 4490（CGCS2000 经纬度）或 gk（高斯–克吕格）",
                   f"'{crs}' is not allowed; use 4490 (CGCS2000 lon/lat) or gk (Gauss–Krüger)")  # fmt: skip
        raise ApiError(400, msg, field="crs")
    if labels not in LABELS:
        msg = Text(
            f"'{labels}' 不被允许；请用 zh（中文标签）或 codes（代码）",
            f"'{labels}' is not allowed; use zh (Chinese labels) or codes",
        )
        raise ApiError(400, msg, field="labels")


def content_disposition(ascii_name: str, name: str) -> str:
    """``attachment`` with ``name`` in UTF-8 (RFC 6266 / RFC 5987) and ``ascii_name`` for clients without it."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@router.get(
    "/export/{fmt}",
    summary="成果导出 / Download parcels for the land bureau",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the file: GeoJSON, GeoPackage, a zipped Shapefile, CSV or the boundary-coordinate TXT",
            "content": {media: {} for media in _MEDIA.values()},
        }
    },
)
def export(
    fmt: ExportFormat,
    filters: Annotated[ParcelFilters, Depends(parcel_filters)],
    state: Park,
    crs: Annotated[
        str | None,
        Query(
            description="gpkg/shp: 4490 (CGCS2000 lon/lat, the default) or gk (the park's Gauss–Krüger zone)",
            json_schema_extra={"enum": list(_CRS)},
        ),
    ] = None,
    labels: Annotated[
        str,
        Query(
            description="shp/csv: zh (是/否, Chinese labels and headers, rounded numbers) or codes (stored values)",
            json_schema_extra={"enum": list(LABELS)},
        ),
    ] = "zh",
) -> FileResponse:
    """The file of the parcels that meet the filters."""
    check_export_query(fmt.value, crs, labels)
    folder = Path(tempfile.mkdtemp(prefix="planner-export-"))
    name = f"{state.park_id}-parcels.{fmt.value}"
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    files = folder / "files"  # the archive of a Shapefile goes beside this folder, never into it
    files.mkdir()
    try:
        export_parcels(state.store, fmt.value, files / name, crs=crs or "4490", labels=labels, **filters.given())
    except FilterError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ApiError(400, str(exc)) from None
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    path = files / name
    if fmt.value == "shp":
        path = Path(shutil.make_archive(str(folder / f"{state.park_id}-parcels-shp"), "zip", files))
    suffix = "shp.zip" if fmt.value == "shp" else fmt.value
    headers = {"Content-Disposition": content_disposition(path.name, f"{state.park_id}-宗地.{suffix}")}
    return FileResponse(path, headers=headers, media_type=_MEDIA[fmt.value], background=cleanup)
