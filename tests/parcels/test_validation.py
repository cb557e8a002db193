import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from planner.errors import ValidationError
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, X0, Y0, grid_parcels


def check(parcels, **kw):
    return validate_parcels(parcels, crs_epsg=GK, park_id="T1", **kw)


def only(problems, severity="error"):
    return [(p.parcel_id, p.field, p.message) for p in problems if p.severity == severity]


def test_clean_input_passes_with_computed_areas():
    result = check(grid_parcels(3))
    assert result.ok and not result.warnings
    assert result.parcels["area_m2"].tolist() == [10_000.0] * 3
    assert result.parcels["area_mu"].tolist() == pytest.approx([15.0] * 3)
    assert set(result.parcels.geom_type) == {"MultiPolygon"}
    assert result.parcels.crs.to_epsg() == GK


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("status", "sold", "'sold' is not allowed; allowed: planned (规划), reserved (储备)"),
        ("supply_mode", "拍卖", "'拍卖' is not allowed; allowed: grant (出让), allocation (划拨), lease (租赁)"),
        ("delay_cause", "weather", "'weather' is not allowed; allowed: land_not_delivered"),
        ("land_use", "9999", "'9999' is not a 用地用海分类 code"),
        ("zone_industries", "C34,X99", "'X99' is not a GB/T 4754-2017 code"),
        ("industry", "C12", "division 12 is not in section C"),
        ("industry", "C34,C35", "must be one industry code"),
        ("land_price_wan", -5, "-5 is below the least allowed value 0 (it cannot be negative)"),
        ("investment_total_wan", "lots", "'lots' is not a number"),
        ("output_wan", np.inf, "the value is infinite"),
        ("contract_date", "2024-13-01", "'2024-13-01' is not a date between 1900 and 2200; write it as YYYY-MM-DD"),
        ("contract_date", 20200105, "20200105 is not a date between 1900 and 2200; write it as YYYY-MM-DD"),
        ("contract_date", 43835, "43835 is not a date"),  # an Excel serial number
        ("contract_date", "05/01/2020", "'05/01/2020' is not a date"),  # day or month first? ambiguous
        ("agreed_completion_date", "9999-12-31", "'9999-12-31' is not a date between 1900 and 2200"),
        ("halted_since", "1600-01-01", "'1600-01-01' is not a date between 1900 and 2200"),
        ("declared_power", "maybe", "'maybe' is not a yes/no value"),
        ("admin_share_pct", 100.5, "100.5 is not plausible; allowed: 0 to 100 %"),
        ("green_ratio_pct", -0.1, "-0.1 is below the least allowed value 0"),
    ],
)
def test_bad_value_names_parcel_field_and_allowed(column, value, message):
    parcels = grid_parcels(3)
    if column not in parcels:
        parcels[column] = pd.Series([None] * 3, dtype=object)
    parcels[column] = parcels[column].astype(object)
    parcels.loc[1, column] = value
    result = check(parcels)
    errors = only(result.problems)
    assert len(errors) == 1, errors
    parcel_id, field, text = errors[0]
    assert (parcel_id, field) == ("P001", column)
    assert message in text
    with pytest.raises(ValidationError, match=r"parcel 'P001', field `" + column):
        result.raise_for_errors()


def test_chinese_labels_and_separators_are_repaired_and_reported():
    parcels = grid_parcels(2, status=["已供", "储备"], land_use=["二类工业用地", "100101"])
    parcels["zone_industries"] = ["c34、C35", "C39"]
    parcels["holder"] = ["某公司", None]
    parcels["contract_date"] = ["2024年3月1日", None]
    result = check(parcels)
    assert result.ok
    assert result.parcels["status"].tolist() == ["supplied", "reserved"]
    assert result.parcels["land_use"].tolist() == ["100102", "100101"]
    assert result.parcels["zone_industries"].tolist() == ["C34,C35", "C39"]
    assert result.parcels["contract_date"].iloc[0] == pd.Timestamp("2024-03-01")
    repairs = only(result.problems, "repair")
    assert ("P000", "status", "'已供' read as 'supplied'") in repairs
    assert ("P000", "land_use", "'二类工业用地' read as code 100102") in repairs
    assert ("P000", "zone_industries", "'c34、C35' written as 'C34,C35'") in repairs


def test_missing_and_duplicate_ids():
    parcels = grid_parcels(4)
    parcels["parcel_id"] = ["A", "B", "A", None]
    result = check(parcels)
    errors = [(p.parcel_id, p.row, p.field, p.message) for p in result.errors]
    assert ("A", 0, "parcel_id", "parcel_id 'A' appears 2 times (input rows 0, 2); ids must be unique") in errors
    assert ("A", 2, "parcel_id", "parcel_id 'A' appears 2 times (input rows 0, 2); ids must be unique") in errors
    assert (None, 3, "parcel_id", "a value is required") in errors
    assert "row 3, field `parcel_id`" in str(ValidationError(result.problems))


@pytest.mark.filterwarnings("ignore:invalid value encountered in linearrings:RuntimeWarning")
def test_geometry_problems_are_named():
    parcels = grid_parcels(6)
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    geoms = list(parcels.geometry)
    geoms[0] = None
    geoms[1] = Polygon()
    geoms[2] = bowtie
    geoms[3] = LineString([(X0, Y0), (X0 + 10, Y0)])
    geoms[4] = Polygon([(X0, Y0), (X0 + 1, Y0), (X0 + 1, np.nan)])
    parcels = parcels.set_geometry(gpd.GeoSeries(geoms, crs=GK))
    messages = {p.parcel_id: p.message for p in check(parcels).errors if p.field == "geometry"}
    assert messages["P000"] == "the geometry is missing"
    assert messages["P001"] == "the geometry is empty"
    assert messages["P002"].startswith("the geometry is invalid: Self-intersection")
    assert messages["P003"] == "a parcel must be a Polygon or MultiPolygon, not a LineString"
    assert messages["P004"] == "the geometry has NaN or infinite coordinates"
    assert "P005" not in messages


def test_no_crs_is_refused_with_a_hint():
    parcels = grid_parcels(1).set_crs(None, allow_override=True)
    result = check(parcels)
    assert only(result.problems)[0][2].startswith("the parcels have no CRS; set it with `set_crs()`")


def test_lon_lat_input_is_projected_and_measured_in_the_zone():
    gk = grid_parcels(2)
    geographic = gk.to_crs(4490)
    result = check(geographic)
    assert result.ok
    np.testing.assert_allclose(result.parcels["area_m2"], 10_000.0, rtol=1e-9)


def test_swapped_axes_and_projected_numbers_as_degrees_are_caught():
    swapped = gpd.GeoDataFrame(
        {"parcel_id": ["S"], "status": ["reserved"]},
        geometry=[box(32.25, 118.30, 32.251, 118.301)],
        crs=4490,
    )
    [(pid, field, text)] = only(check(swapped).problems)
    assert (pid, field) == ("S", "geometry")
    assert "lies outside China; the coordinates look like lat/lon swapped" in text
    degrees = gpd.GeoDataFrame(
        {"parcel_id": ["D"], "status": ["reserved"]}, geometry=[box(X0, Y0, X0 + 50, Y0 + 50)], crs=4490
    )
    assert "projected coordinates given as degrees?" in only(check(degrees).problems)[0][2]


@pytest.mark.parametrize(("corner", "en", "zh"), [
    ((32.25, 118.30),  # axes swapped: (118.3005, 32.2505) is in China
     "the parcel at lon 32.250500, lat 118.300500 lies outside China; the coordinates look like lat/lon swapped: the "
     "longitude comes first",
     "宗地位于经度 32.250500、纬度 118.300500，在中国境外：坐标似乎经纬度颠倒了，应经度在前"),
    ((500000.0, 3500000.0),  # Gauss–Krüger metres read as degrees
     "the parcel at lon 500000.000500, lat 3500000.000500 lies outside China; projected coordinates given as degrees?",
     "宗地位于经度 500000.000500、纬度 3500000.000500，在中国境外：是否把投影坐标当作了经纬度？"),
    ((2.35, 48.85),  # Paris: no guess
     "the parcel at lon 2.350500, lat 48.850500 lies outside China",
     "宗地位于经度 2.350500、纬度 48.850500，在中国境外"),
])  # fmt: skip
def test_a_parcel_outside_china_is_said_in_both_languages_with_its_likely_slip(corner, en, zh):
    x, y = corner
    frame = gpd.GeoDataFrame(
        {"parcel_id": ["O"], "status": ["reserved"]}, geometry=[box(x, y, x + 0.001, y + 0.001)], crs=4490
    )
    [problem] = [p for p in check(frame).problems if p.severity == "error"]
    assert (problem.parcel_id, problem.field, problem.message, problem.zh) == ("O", "geometry", en, zh)


def test_wrong_projected_crs_lands_outside_china():
    # Gauss–Krüger numbers labelled as the zone-prefixed CRS fall near lon 75°W
    wrong = grid_parcels(1).set_crs(4527, allow_override=True)
    [(pid, field, text)] = only(check(wrong).problems)
    assert (pid, field) == ("P000", "geometry")
    assert "is the input CRS right (zone, zone prefix, axis order)?" in text


def test_z_values_are_dropped_and_reported():
    parcels = grid_parcels(1)
    parcels = parcels.set_geometry(gpd.GeoSeries([Polygon([(X0, Y0, 5), (X0 + 10, Y0, 5), (X0, Y0 + 10, 5)])], crs=GK))
    result = check(parcels)
    assert result.ok
    assert not result.parcels.geometry.iloc[0].has_z
    assert ("P000", "geometry", "Z coordinates dropped; a parcel is 2D") in only(result.problems, "repair")


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            {"contract_date": "2024-06-01", "agreed_start_date": "2024-05-31"},
            "agreed_start_date",
            "the agreed start date 2024-05-31 is before the contract date 2024-06-01",
        ),
        (
            {"contract_date": "2024-06-01", "actual_start_date": "2024-01-01"},
            "actual_start_date",
            "the actual start date 2024-01-01 is before the contract date 2024-06-01",
        ),
        (
            {"agreed_start_date": "2024-06-01", "agreed_completion_date": "2024-05-01"},
            "agreed_completion_date",
            "the agreed completion date 2024-05-01 is before the agreed start date 2024-06-01",
        ),
        (
            {"actual_start_date": "2024-06-01", "halted_since": "2024-05-01"},
            "halted_since",
            "the halt date 2024-05-01 is before the actual start date 2024-06-01",
        ),
        ({"halted_since": "2024-05-01"}, "halted_since", "a halt date without an actual start date"),
    ],
)
def test_dates_out_of_order(dates, field, message):
    parcels = grid_parcels(1, status=["supplied"], holder=["某公司"])
    for key, value in dates.items():
        parcels[key] = [value]
    errors = only(check(parcels).problems)
    assert [(pid, f) for pid, f, _ in errors] == [("P000", field)]
    assert errors[0][2].startswith(message)


def test_same_day_start_is_allowed():
    parcels = grid_parcels(
        1,
        status=["under_construction"],
        holder=["某公司"],
        contract_date=["2024-06-01"],
        agreed_start_date=["2024-06-01"],
        actual_start_date=["2024-06-01"],
    )
    assert check(parcels).ok


def test_status_without_the_records_it_implies_is_warned():
    parcels = grid_parcels(3, status=["in_production", "reserved", "supplied"])
    parcels["contract_date"] = [None, "2024-01-01", "2024-01-01"]
    parcels["holder"] = ["甲公司", None, None]
    result = check(parcels)
    assert result.ok
    warnings = only(result.problems, "warning")
    assert ("P000", "contract_date", "the parcel is in_production (投产) but has no contract date") in warnings
    assert ("P000", "actual_start_date", "the parcel is in_production (投产) but has no actual start date") in warnings
    assert ("P001", "status", "the parcel is reserved (储备) but has a contract date; is it supplied?") in warnings
    assert ("P002", "holder", "the parcel is supplied (已供) but names no holder") in warnings


def test_quantities_that_cannot_be():
    parcels = grid_parcels(
        2,
        footprint_m2=[12_000.0, 5_000.0],
        floor_area_m2=[None, 4_000.0],
        investment_total_wan=[100.0, 100.0],
        investment_actual_wan=[50.0, 150.0],
    )
    result = check(parcels)
    assert only(result.problems) == [
        ("P000", "footprint_m2", "the building footprint 12000 m² exceeds the parcel's 10000 m²")
    ]
    warnings = only(result.problems, "warning")
    assert ("P001", "floor_area_m2", "the floor area 4000 m² is smaller than the footprint 5000 m²") in warnings
    assert (
        "P001",
        "investment_actual_wan",
        "investment made 150 万元 exceeds the total investment 100 万元",
    ) in warnings


def test_declared_area_off_by_more_than_one_percent_is_reported():
    # each parcel is 15 mu; 15.14 is 0.93% off, 15.16 is 1.07% off
    parcels = grid_parcels(2, declared_area_mu=[15.14, 15.16])
    result = check(parcels)
    assert result.ok
    assert only(result.problems, "warning") == [
        ("P001", "declared_area_mu", "declared 15.16 mu differs from the computed 15.00 mu by +1.1% (over 1%)")
    ]


def test_areas_from_the_input_are_replaced_and_reported():
    parcels = grid_parcels(1, area_mu=[20.0], area_m2=[10_000.0])
    result = check(parcels)
    assert result.parcels["area_mu"].iloc[0] == pytest.approx(15.0)
    assert only(result.problems, "repair") == [
        ("P000", "area_mu", "20 from the input replaced by the computed 15 (areas come from the geometry)")
    ]


def test_overlapping_parcels_are_refused_and_slivers_warned():
    parcels = grid_parcels(3)
    geoms = list(parcels.geometry)
    geoms[1] = box(X0 + 95, Y0, X0 + 195, Y0 + 100)  # overlaps P000 by 5 m × 100 m
    geoms[2] = box(X0 + 195 - 0.001, Y0 + 200, X0 + 300, Y0 + 300)  # apart from the others
    parcels = parcels.set_geometry(gpd.GeoSeries(geoms, crs=GK))
    errors = only(check(parcels).problems)
    assert errors == [("P000", "geometry", "overlaps parcel 'P001' by 500.00 m²")]
    sliver = grid_parcels(2)
    sliver = sliver.set_geometry(
        gpd.GeoSeries([box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 99.995, Y0, X0 + 200, Y0 + 100)], crs=GK)
    )
    result = check(sliver)
    assert result.ok
    assert only(result.problems, "warning") == [("P000", "geometry", "overlaps parcel 'P001' by 0.50 m²")]


def test_touching_parcels_are_fine():
    parcels = grid_parcels(2)
    parcels = parcels.set_geometry(
        gpd.GeoSeries([box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)], crs=GK)
    )
    assert check(parcels).problems == [p for p in check(parcels).problems if p.severity == "repair"]


def test_unknown_column_is_refused_not_dropped():
    parcels = grid_parcels(1)
    parcels["colour"] = ["red"]
    [(pid, field, text)] = only(check(parcels).problems)
    assert (pid, field) == (None, "colour")
    assert text.startswith("`colour` is not a column of the parcel layer; rename it to one of the schema's columns")


def test_park_id_is_filled_and_a_foreign_one_refused():
    parcels = grid_parcels(2, park_id=[None, "OTHER"])
    result = check(parcels)
    assert only(result.problems) == [("P001", "park_id", "park 'OTHER' is not this store's park 'T1'")]
    assert (None, "park_id", "`park_id` was empty for 1 parcel(s) and was set to 'T1'") in only(
        result.problems, "repair"
    )


def test_far_from_the_zone_is_warned():
    far = gpd.GeoDataFrame(
        {"parcel_id": ["F"], "status": ["planned"]}, geometry=[Point(121.0, 31.0).buffer(0.001)], crs=4490
    )
    result = check(far)
    assert result.ok
    [(pid, field, text)] = only(result.problems, "warning")
    assert (pid, field) == ("F", "geometry")
    assert "4.00° from the zone's central meridian 117°E" in text


def test_report_is_a_table():
    parcels = grid_parcels(2, status=["sold", "reserved"])
    table = check(parcels).report()
    assert list(table.columns) == ["severity", "parcel_id", "row", "field", "message"]
    assert table.iloc[0].to_dict()["field"] == "status"


def test_a_zoning_of_separators_only_is_left_empty_and_reported():
    result = check(grid_parcels(1, zone_industries=[" ,、"]))
    assert result.ok
    assert result.parcels["zone_industries"].iloc[0] is None
    assert only(result.problems, "repair") == [("P000", "zone_industries", "',、' holds no code and was left empty")]


def test_an_invalid_parcel_over_a_valid_one_is_reported_once_and_does_not_crash():
    parcels = grid_parcels(2)
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    parcels = parcels.set_geometry(gpd.GeoSeries([box(X0, Y0, X0 + 100, Y0 + 100), bowtie], crs=GK))
    errors = only(check(parcels).problems)
    assert [(pid, field) for pid, field, _ in errors] == [("P001", "geometry")]
    assert errors[0][2].startswith("the geometry is invalid: Self-intersection")
