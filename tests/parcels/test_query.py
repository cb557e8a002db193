"""filter_parcels: each filter alone, together, and bad values named."""

from __future__ import annotations

import pytest

from planner.errors import FilterError
from planner.parcels.query import filter_parcels, industry_prefixes, normalized_filters
from tests.conftest import grid_parcels


@pytest.fixture
def parcels(store):
    # sides 100, 120, 140 … m: areas 15.0, 21.6, 29.4, 38.4, 48.6, 60.0 mu (side² / 666.67)
    frame = grid_parcels(6)
    sides = [100.0, 120.0, 140.0, 160.0, 180.0, 200.0]
    from shapely.geometry import box

    from tests.conftest import X0, Y0

    x = X0
    geoms = []
    for side in sides:
        geoms.append(box(x, Y0, x + side, Y0 + side))
        x += side + 10
    frame = frame.set_geometry(geoms)
    frame["status"] = ["planned", "reserved", "reserved", "supplied", "in_production", "supplied"]
    frame["land_use"] = ["100101", "100102", "100103", "1101", "100101", "100102"]
    frame["zone_industries"] = ["C36", "C39,C38", None, "C36", "C3670", None]
    frame["industry"] = [None, None, None, "C3670", "C3670", "C2710"]
    frame["holder"] = [None, None, None, "甲", "乙", "丙"]
    frame["contract_date"] = [None, None, None, "2024-01-01", "2020-01-01", "2024-01-01"]
    frame["actual_start_date"] = [None, None, None, None, "2020-06-01", None]
    store.write_parcels(frame, by="t")
    out = store.read_parcels()
    out.loc[out.parcel_id.isin(["P001", "P002"]), "ready"] = True
    out.loc[out.parcel_id == "P000", "ready"] = False  # P003–P005: never computed
    out.loc[out.parcel_id == "P005", "idle_rule"] = "not_started"
    return out


def ids(frame):
    return frame["parcel_id"].tolist()


def test_area_bounds_are_inclusive_in_mu(parcels):
    assert parcels["area_mu"].round(1).tolist() == [15.0, 21.6, 29.4, 38.4, 48.6, 60.0]
    low, high = parcels["area_mu"].iloc[1], parcels["area_mu"].iloc[3]
    assert ids(filter_parcels(parcels, min_area_mu=low, max_area_mu=high)) == ["P001", "P002", "P003"]
    assert ids(filter_parcels(parcels, min_area_mu=50)) == ["P005"]


def test_ready_raw_and_idle(parcels):
    assert ids(filter_parcels(parcels, ready=True)) == ["P001", "P002"]
    assert ids(filter_parcels(parcels, ready=False)) == ["P000", "P003", "P004", "P005"]
    assert ids(filter_parcels(parcels, idle=True)) == ["P005"]
    assert len(filter_parcels(parcels, idle=False)) == 5
    assert ids(filter_parcels(parcels, ready=True, min_area_mu=25)) == ["P002"]


def test_status_by_code_label_or_list(parcels):
    assert ids(filter_parcels(parcels, status="reserved")) == ["P001", "P002"]
    assert ids(filter_parcels(parcels, status="已供")) == ["P003", "P005"]
    assert ids(filter_parcels(parcels, status=["planned", "in_production"])) == ["P000", "P004"]


def test_industry_by_holder_or_zoning(parcels):
    # P000 zoned C36 admits C3670; P003/P004 hold C3670; P004 zoned C3670 too
    assert ids(filter_parcels(parcels, industry="C3670")) == ["P000", "P003", "P004"]
    # C36 as a query: holders within C36 (P003, P004) and zones admitting C36 (P000, P003)
    assert ids(filter_parcels(parcels, industry="C36")) == ["P000", "P003", "P004"]
    assert ids(filter_parcels(parcels, industry="C38")) == ["P001"]
    assert ids(filter_parcels(parcels, industry="C27")) == ["P005"]


def test_land_use_covers_subclasses(parcels):
    assert ids(filter_parcels(parcels, land_use="1001")) == ["P000", "P001", "P002", "P004", "P005"]
    assert ids(filter_parcels(parcels, land_use="100102")) == ["P001", "P005"]
    assert ids(filter_parcels(parcels, land_use="二类工业用地")) == ["P001", "P005"]


def test_bbox_in_the_park_crs(parcels):
    from tests.conftest import X0, Y0

    assert ids(filter_parcels(parcels, bbox=(X0 + 105, Y0, X0 + 115, Y0 + 5))) == ["P001"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "sold"}, "`status` was 'sold' but is expected to be one of planned (规划)"),
        ({"min_area_mu": -1}, "`min_area_mu` was -1 but must be a number of mu (亩) ≥ 0"),
        ({"min_area_mu": 10, "max_area_mu": 5}, "`max_area_mu` 5 is below `min_area_mu` 10"),
        ({"industry": "C99"}, "`industry` was 'C99'"),
        ({"land_use": "工厂"}, "`land_use` was '工厂' but is expected to be a 用地用海分类 code"),
        ({"bbox": (1, 1, 0, 0)}, "`bbox` was (1, 1, 0, 0)"),
    ],
)
def test_bad_filters_are_named(parcels, kwargs, message):
    with pytest.raises(FilterError, match=None) as err:
        filter_parcels(parcels, **kwargs)
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "sold"}, "`status` was 'sold' but is expected to be one of planned (规划)"),
        ({"min_area_mu": -1}, "`min_area_mu` was -1 but must be a number of mu (亩) ≥ 0"),
        ({"min_area_mu": 10, "max_area_mu": 5}, "`max_area_mu` 5 is below `min_area_mu` 10"),
        ({"industry": "C99"}, "`industry` was 'C99'"),
        ({"land_use": "工厂"}, "`land_use` was '工厂' but is expected to be a 用地用海分类 code"),
    ],
)
def test_filters_checked_for_sql_refuse_as_the_mask_does(kwargs, message):
    with pytest.raises(FilterError) as err:
        normalized_filters(**kwargs)
    assert message in str(err.value)


def test_filters_checked_for_sql_come_in_canonical_form():
    got = normalized_filters(ready=True, status="储备", industry=" c3670 ", land_use="工业用地", idle=None)
    assert got == {"ready": True, "status": ["reserved"], "industry": "C3670", "land_use": "1001"}
    assert industry_prefixes("C3670") == ["C36", "C367", "C3670"]
