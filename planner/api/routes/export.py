"""``/export/{fmt}``: the parcels that meet the filters as a file for the land bureau.

GeoJSON, a GeoPackage, a zipped Shapefile, or the boundary-coordinate TXT (in GBK). The file
is written to a folder of its own, removed once the answer is sent.
"""

from __future__ import annotations

import shutil
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from planner.api.deps import ParcelFilters, Park, parcel_filters, viewer
from planner.api.errors import ApiError
from planner.errors import FilterError
from planner.exchange.export import export_parcels

__all__ = ["TXT_MEDIA", "ExportFormat", "router"]

TXT_MEDIA = "text/plain; charset=gbk"
"""The boundary-coordinate TXT is written in GBK, as the land bureau's systems read it."""
_MEDIA = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3", "txt": TXT_MEDIA}

router = APIRouter(dependencies=[Depends(viewer)])


class ExportFormat(str, Enum):  # noqa: UP042 - FastAPI documents str enums as allowed values
    """The formats parcels may be downloaded in."""

    geojson = "geojson"
    gpkg = "gpkg"
    shp = "shp"
    txt = "txt"


@router.get(
    "/export/{fmt}",
    summary="成果导出 / Download parcels for the land bureau",
    response_class=FileResponse,
    responses={
        200: {
            "description": "the file: GeoJSON, GeoPackage, a zipped Shapefile or the boundary-coordinate TXT",
            "content": {
                "application/geo+json": {},
                "application/geopackage+sqlite3": {},
                "application/zip": {},
                TXT_MEDIA: {},
            },
        }
    },
)
def export(
    fmt: ExportFormat,
    filters: Annotated[ParcelFilters, Depends(parcel_filters)],
    state: Park,
    crs: Annotated[str, Query(pattern="^(4490|gk)$")] = "4490",
) -> FileResponse:
    """The file of the parcels that meet the filters (``crs``: CGCS2000 lon/lat, or the park's Gauss–Krüger zone)."""
    folder = Path(tempfile.mkdtemp(prefix="planner-export-"))
    name = f"{state.park_id}-parcels.{fmt.value}"
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    files = folder / "files"  # the archive of a Shapefile goes beside this folder, never into it
    files.mkdir()
    try:
        export_parcels(state.store, fmt.value, files / name, crs=crs, **filters.given())
    except FilterError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise ApiError(400, str(exc)) from None
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if fmt.value == "shp":
        archive = shutil.make_archive(str(folder / f"{state.park_id}-parcels-shp"), "zip", files)
        return FileResponse(archive, filename=Path(archive).name, media_type="application/zip", background=cleanup)
    return FileResponse(files / name, filename=name, media_type=_MEDIA[fmt.value], background=cleanup)
