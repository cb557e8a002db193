"""The typed request bodies: a parcel edit, a project for siting (plans are typed in :mod:`planner.api.routes.plan`).

The models are built from the field dictionaries (:data:`planner.parcels.schema.FIELDS`,
:data:`planner.siting.project.FIELDS`), so ``/docs`` shows every column an editor may change with
its type, unit and allowed codes, and a wrong type is refused (422) naming the field. What the
types cannot say — a date before another, a figure out of range, a unit written into a number —
is still checked by the store and the siting parser, with their own messages.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from planner.parcels.schema import FIELDS as PARCEL_FIELDS

__all__ = ["EDITABLE", "ParcelEdit", "Project", "Upgrade", "edit_changes"]

EDITABLE = tuple(
    f.name
    for f in PARCEL_FIELDS
    if f.origin == "input" and f.kind != "geometry" and f.name not in ("parcel_id", "park_id")
)
"""The parcel columns an edit may change: the records' own (``input``), never a computed or managed one."""

_TYPES: dict[str, Any] = {"str": str, "float": float, "int": int, "bool": bool, "date": date}


def _edit_field(name: str) -> tuple[Any, Any]:
    """The type and description of one editable column (its allowed codes as a ``Literal``)."""
    spec = next(f for f in PARCEL_FIELDS if f.name == name)
    kind: Any = Literal[tuple(spec.allowed)] if spec.allowed else _TYPES[spec.kind]
    text = f"{spec.label_zh} / {spec.label_en}" + (f" ({spec.unit})" if spec.unit else "")
    return kind | None, Field(None, description=text)


class _EditBase(BaseModel):
    # an unknown column is refused by the route, naming those allowed; NaN and ±Infinity by the store, by name
    model_config = ConfigDict(extra="allow")

    version: int | None = Field(None, description="the version the edit is based on, if not sent as If-Match")


ParcelEdit = create_model(  # type: ignore[call-overload]
    "ParcelEdit",
    __base__=_EditBase,
    __doc__='The columns to change, e.g. {"status": "supplied"}; those not sent are left as they are.',
    **{name: _edit_field(name) for name in EDITABLE},
)
"""A parcel edit: any of the :data:`EDITABLE` columns (null clears one), and optionally ``version``."""


def edit_changes(body: BaseModel) -> dict[str, Any]:
    """The columns the body sets (dates as ISO text, as the store reads them), ``version`` included if sent."""
    return body.model_dump(mode="json", exclude_unset=True)


class Project(BaseModel):
    """A project record for siting: what it makes, the land it needs, its investment and its needs."""

    model_config = ConfigDict(extra="allow")  # a misnamed field is named by the siting parser, with the one meant

    name: str = Field(description="项目名称 / project name")
    industry: str = Field(description="GB/T 4754-2017 code, e.g. C3982")
    land_mu: float | list[float] = Field(description="land needed (亩): one figure or [least, most]")
    investment_wan: float = Field(description="fixed-asset investment (万元)")
    output_wan: float | None = Field(None, description="output per year (万元)")
    tax_wan: float | None = Field(None, description="tax per year (万元)")
    power_kva: float | None = Field(None, description="power needed (kVA)")
    water_m3d: float | None = Field(None, description="water needed (m³/d)")
    needs: list[str] | None = Field(None, description='networks it cannot do without, e.g. ["gas", "heat"]')
    earliest_start: date | None = Field(None, description="earliest start (YYYY-MM-DD)")
    land_class: str | None = Field(None, description="land-use class wanted, e.g. 1001")
    floor_area_m2: float | None = Field(None, description="floor area (m²)")
    building_coverage_pct: float | None = Field(None, description="building coverage (% of the land)")
    admin_share_pct: float | None = Field(None, description="administration and living share (% of the land)")
    green_ratio_pct: float | None = Field(None, description="green ratio (% of the land)")

    def record(self) -> dict[str, Any]:
        """The record as the siting parser reads it (fields not sent stay absent)."""
        return self.model_dump(mode="json", exclude_unset=True)


class Upgrade(BaseModel):
    """A source upgrade a plan may build: which source, the capacity it adds, and what it costs."""

    model_config = ConfigDict(extra="allow")  # an unknown field is named by the works parser, with those allowed

    work_id: str | None = Field(None, description="the work's id (default upgrade-1, upgrade-2 …)")
    kind: Literal["upgrade"] = Field("upgrade", description="a source upgrade (the only kind given here)")
    source_id: str = Field(description="the source it enlarges, e.g. SS-35-2")
    capacity_added: float = Field(gt=0, description="capacity added, in the source's unit (kVA, m³/d, Nm³/h …)")
    cost_wan: float | None = Field(None, ge=0, description="cost (万元; default from the unit costs)")
    planned_date: date | None = Field(None, description="when it is planned (YYYY-MM-DD)")
    name: str | None = Field(None, description="名称 / name")

    def record(self) -> dict[str, Any]:
        """The record as the works parser reads it (fields not sent stay absent)."""
        return self.model_dump(mode="json", exclude_unset=True)
