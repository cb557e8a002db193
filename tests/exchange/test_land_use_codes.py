"""GB/T 21010-2017 (三调) land-use codes converted on import to 用地用海分类 (2023), each conversion reported."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

from planner.codes import gb21010_codes, gb21010_to_2023, land_use_codes
from planner.exchange import import_file
from planner.store import open_store
from tests.conftest import X0, Y0

NORTH = Y0 + 1000.0


def test_every_crosswalk_row_joins_classes_of_the_same_name():
    """Only verified rows: a GB/T 21010 class converts where the 用地用海分类 class bears the very same name.

    GB/T 21010-2017 names: the standard's table (土地利用现状分类, 73 second-level classes);
    用地用海分类 names: data/land_use_codes.csv (国土空间调查、规划、用途管制用地用海分类指南, 2023).
    """
    gb, ours = gb21010_codes(), land_use_codes()
    assert len(gb) == 73
    rows = gb[gb["code_2023"] != ""]
    assert len(rows) == 17
    for code, row in rows.iterrows():
        assert row["code_2023"] in ours.index, code
        assert ours.loc[row["code_2023"], "name_zh"] == row["name_2023"] == row["gb21010_name"], code
    assert rows.loc["0601", "code_2023"] == "1001"  # 工业用地: industrial land, class not stated
    assert rows.loc["0604", "code_2023"] == "11"  # 仓储用地: the 2023 level-1 class of the same name


def test_codes_of_both_systems_are_read_by_the_file_they_are_in():
    # a land-bureau file: every code a GB/T 21010 code, so 1001 is 铁路用地
    bureau = gb21010_to_2023(pd_series(["0601", "1001", "1201"]))
    assert bureau.values.tolist() == ["1001", "1201", "2301"]
    # the planner's own codes: nothing converted
    ours = gb21010_to_2023(pd_series(["1001", "100101", "0701"]))
    assert ours.values.tolist() == ["1001", "100101", "0701"] and not ours.converted
    # mixed: 0601 converted, 1001 (a code of both) read as 用地用海分类 and named
    mixed = gb21010_to_2023(pd_series(["0601", "1001", "100102"]))
    assert mixed.values.tolist() == ["1001", "1001", "100102"]
    assert mixed.kept_as_2023 == ["1001"]
    # told: every code read as GB/T 21010
    told = gb21010_to_2023(pd_series(["0601", "1001", "1004"]), "gb21010")
    assert told.values.tolist()[:2] == ["1001", "1201"]
    assert told.unconverted.tolist() == [False, False, True]  # 城镇村道路用地: 1207 or 0601, no one-to-one row


def pd_isna(value):
    import pandas as pd

    return bool(pd.isna(value))


def pd_series(values):
    import pandas as pd

    return pd.Series(values, dtype=object)


@pytest.fixture
def park(store):
    return Path(store.uri)


def test_a_bureau_file_imports_with_its_codes_converted(tmp_path, park):
    geoms = [box(X0 + i * 150, NORTH, X0 + i * 150 + 100, NORTH + 100) for i in range(4)]
    layer = gpd.GeoDataFrame(
        {"parcel_id": ["G1", "G2", "G3", "G4"], "status": "reserved", "land_use": ["0601", "0601", "0604", "1004"]},
        geometry=geoms,
        crs=4548,
    )
    path = tmp_path / "三调.gpkg"
    pyogrio.write_dataframe(layer, path)
    report = import_file(park, path)
    parcels = open_store(park).read_parcels().set_index("parcel_id")
    assert parcels.loc[["G1", "G2", "G3"], "land_use"].tolist() == ["1001", "1001", "11"]
    messages = [p.message for p in report.problems]
    assert any(
        "GB/T 21010-2017 (三调) code '0601' 工业用地 converted to 用地用海分类 1001 工业用地 for 2 parcel(s)" in m
        and "the class (一/二/三类工业用地, 100101–100103) is not stated" in m
        for m in messages
    ), messages
    assert any("'0604' 仓储用地 converted to 用地用海分类 11 仓储用地 for 1 parcel(s)" in m for m in messages)
    left = {p.feature_id: p for p in report.left_out}
    assert set(left) == {"G4"}
    assert left["G4"].field == "land_use"
    assert "code '1004' (城镇村道路用地) has no one-to-one 用地用海分类 code" in left["G4"].message
    assert "values: land_use: {'1004': <code>}" in left["G4"].message


def test_export_writes_either_system(tmp_path, park):
    """Exported with --land-use-codes gb21010, the codes are the crosswalk's read backwards; by default as stored.

    1001 工业用地 is 0601, 1101 物流仓储用地 takes its parent 11 仓储用地's 0604; 1207 城镇道路用地 has no
    GB/T 21010 class in the crosswalk and is left empty, and the export says so.
    """
    from planner.exchange import export_parcels

    geoms = [box(X0 + i * 150, NORTH, X0 + i * 150 + 100, NORTH + 100) for i in range(3)]
    layer = gpd.GeoDataFrame(
        {"parcel_id": ["E1", "E2", "E3"], "status": "reserved", "land_use": ["1001", "1101", "1207"]},
        geometry=geoms,
        crs=4548,
    )
    store = open_store(park)
    store.write_parcels(layer, by="t")
    out = tmp_path / "bureau.gpkg"
    report = export_parcels(store, "gpkg", out, land_use_codes="gb21010")
    written = pyogrio.read_dataframe(out, layer="宗地").set_index("宗地代码")
    column = next(c for c in written.columns if c.startswith("用地"))
    assert written.loc[["E1", "E2"], column].tolist() == ["0601", "0604"]
    assert pd_isna(written.loc["E3", column])
    assert "1 parcel(s) left without a code" in report.notes[0] and "E3" in report.notes[0]
    plain = tmp_path / "plain.gpkg"
    export_parcels(store, "gpkg", plain)
    assert pyogrio.read_dataframe(plain, layer="宗地").set_index("宗地代码").loc["E1", column] == "1001"


def test_level2_industrial_land_is_offered_with_a_note_to_confirm_its_class(tmp_path, park):
    """三调 0601 comes in as 1001 工业用地, class unstated: siting admits it for an industrial project (GB 50137-2011
    classes M1–M3 are not known for it) and says the class must be confirmed; 0701 housing is still refused."""
    import warnings

    from planner.siting import SiteIndex, match, parse_project

    ready = {f"declared_{item}": True for item in ("road", "water", "drainage", "power", "telecom", "leveled")}
    geoms = [box(X0 + i * 250, NORTH, X0 + i * 250 + 200, NORTH + 200) for i in range(2)]  # 60 亩 each
    layer = gpd.GeoDataFrame(
        {"parcel_id": ["L1", "L2"], "status": "reserved", "land_use": ["0601", "0701"], **ready},
        geometry=geoms,
        crs=4548,
    )
    path = tmp_path / "三调.geojson"
    pyogrio.write_dataframe(layer.to_crs(4326), path, driver="GeoJSON")
    import_file(park, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        index = SiteIndex.from_store(open_store(park))
    project = parse_project({"name": "甲", "industry": "C3670", "land_mu": [40, 80], "investment_wan": 25000})
    result = match(index, project)
    assert result.candidates["parcel_ids"].tolist() == [("L1",)]
    note = "1 宗候选地块为工业用地（1001）但未注明一/二/三类（L1）：供地前须核实"
    assert any(note in n for n in result.notes), result.notes
    refused = result.rejected().set_index("parcel_id")
    assert refused.loc["L2", "rule"] == "land_class"
