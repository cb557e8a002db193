"""Every finding a planner reads is Chinese: the bad-file corpus and hand-built bad parcels, each problem checked.

A problem's Chinese (``Problem.zh``) must hold Chinese characters and no untranslated English
sentence: outside backticks and quotes (codes, field names, values from the file), no run of three
English words. The English stays the ``message`` (logs, ``--lang en``), unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from planner.errors import Problem, ValidationError
from planner.exchange import import_file
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, X0, Y0, grid_parcels
from tests.exchange.test_bad_files import KEPT, REFUSED, REPAIRED

_CJK = re.compile(r"[\u4e00-\u9fff]")
_QUOTED = re.compile(r"`[^`]*`|'[^']*'|\"[^\"]*\"|「[^」]*」|“[^”]*”|《[^》]*》|\([^()]*\)")
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z-]*(?:[ ,;:]+[A-Za-z][A-Za-z-]*){2,}")


def untranslated(problem: Problem) -> str | None:
    """Why ``problem`` has no proper Chinese (``None`` when it has)."""
    text = problem.zh
    if not text:
        return f"no Chinese: {problem}"
    if not _CJK.search(text) or not _CJK.search(problem.where("zh")):
        return f"no Chinese characters: {text!r} / {problem.where('zh')!r}"
    bare = _QUOTED.sub(" ", text)
    run = _ENGLISH_RUN.search(bare)
    if run:
        return f"English left in {text!r}: {run.group()!r}"
    return None


def test_the_checker_catches_english():
    assert untranslated(Problem("error", "A", "status", "bad", zh=None))
    assert untranslated(Problem("error", "A", "status", "bad", zh="the value is bad"))
    assert untranslated(Problem("error", "A", "status", "bad", zh="值不对：the value is bad"))
    assert untranslated(Problem("error", "A", "status", "bad", zh="'the value is bad' 不是允许的值")) is None
    assert untranslated(Problem("error", "A", "status", "bad", zh="`the value is` 不是允许的值")) is None


def problems_of(park: Path, build, tmp_path: Path, **extra) -> list[Problem]:
    path, options = build(tmp_path)
    try:
        report = import_file(park, path, dry_run=True, **options, **extra)
    except ValidationError as refused:
        return refused.problems
    return [*report.problems, *report.left_out]


@pytest.fixture
def park(store):
    store.write_parcels(grid_parcels(3), by="t")
    return Path(store.uri)


CORPUS = [b for b, _ in REFUSED] + [b for b, _ in REPAIRED] + [k[0] for k in KEPT]


@pytest.mark.parametrize("build", CORPUS, ids=[b.__name__ for b in CORPUS])
def test_every_problem_of_a_bad_file_is_chinese(tmp_path, park, build):
    problems = problems_of(park, build, tmp_path)
    assert problems
    bad = [why for p in problems if (why := untranslated(p))]
    assert bad == []


@pytest.mark.parametrize("build", [k[0] for k in KEPT], ids=[k[0].__name__ for k in KEPT])
def test_strict_refusals_are_chinese(tmp_path, park, build):
    path, options = build(tmp_path)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path, strict=True, dry_run=True, **options)
    assert [why for p in refused.value.problems if (why := untranslated(p))] == []
    assert "未写入任何内容" in refused.value.text("zh")


BAD_VALUES = [
    ("status", "sold"),
    ("supply_mode", "拍卖"),
    ("delay_cause", "weather"),
    ("land_use", "9999"),
    ("land_use", "一类工业用地"),
    ("zone_industries", "C34,X99"),
    ("industry", "C12"),
    ("industry", "C34,C35"),
    ("land_price_wan", -5),
    ("investment_total_wan", "lots"),
    ("output_wan", np.inf),
    ("contract_date", "2024-13-01"),
    ("declared_power", "maybe"),
    ("admin_share_pct", 100.5),
    ("holder", "a\x00b"),
    ("holder", True),
    ("status", "已供"),
    ("declared_area_mu", 50.0),
    ("area_m2", 5.0),
    ("floor_count", 2.5),
]


@pytest.mark.parametrize(("column", "value"), BAD_VALUES, ids=[f"{c}={v!r}" for c, v in BAD_VALUES])
def test_every_problem_of_a_bad_parcel_is_chinese(column, value):
    parcels = grid_parcels(3)
    if column not in parcels:
        parcels[column] = pd.Series([None] * 3, dtype=object)
    parcels[column] = parcels[column].astype(object)
    parcels.loc[1, column] = value
    problems = validate_parcels(parcels, crs_epsg=GK, park_id="T1").problems
    assert problems
    assert [why for p in problems if (why := untranslated(p))] == []


def test_row_rules_overlaps_and_columns_are_chinese():
    parcels = grid_parcels(4)
    parcels["status"] = ["supplied", "in_production", "planned", "reserved"]
    parcels["contract_date"] = pd.to_datetime([None, "2024-01-01", "2023-01-01", None])
    parcels["agreed_start_date"] = pd.to_datetime([None, "2023-06-01", None, None])
    parcels["halted_since"] = pd.to_datetime([None, None, None, "2024-01-01"])
    parcels["footprint_m2"] = [20_000.0, 100.0, None, None]
    parcels["floor_area_m2"] = [10_000.0, 50.0, None, None]
    parcels["investment_total_wan"] = [100.0, None, None, None]
    parcels["investment_actual_wan"] = [200.0, None, None, None]
    parcels["colour"] = "red"
    parcels.loc[3, "geometry"] = box(X0 + 50, Y0 + 50, X0 + 150, Y0 + 150)
    parcels.loc[2, "park_id"] = "OTHER"
    problems = validate_parcels(parcels, crs_epsg=GK, park_id="T1").problems
    assert len(problems) >= 10
    assert [why for p in problems if (why := untranslated(p))] == []
    by_field = {(p.parcel_id, p.field): p for p in problems}
    assert by_field[("P000", "holder")].zh == "宗地为已供（`supplied`），但未填写土地使用权人"
    assert by_field[("P000", "holder")].where("zh") == "宗地 'P000'，字段 `holder`"
    assert by_field[("P000", "holder")].message == "the parcel is supplied (已供) but names no holder"
    assert by_field[("P001", "agreed_start_date")].zh == "约定动工日期 2023-06-01 早于合同签订日期 2024-01-01"
    assert by_field[("P000", "investment_actual_wan")].zh == "已完成投资 200 万元超过总投资 100 万元"
    assert by_field[(None, "colour")].where("zh") == "字段 `colour`"
    assert by_field[("P002", "park_id")].zh == "园区 'OTHER' 不是本数据库的园区 'T1'"


def test_no_crs_and_bad_file_in_chinese(tmp_path):
    parcels = grid_parcels(2).set_crs(None, allow_override=True)
    (problem,) = validate_parcels(parcels, crs_epsg=GK, park_id="T1").problems
    assert problem.zh.startswith("宗地没有坐标系：请用 `set_crs()` 设定")
    file = tmp_path / "宗地.shp"
    file.write_bytes(b"")
    with pytest.raises(ValidationError) as refused:
        import_file(tmp_path / "p.gpkg", file)
    (problem,) = refused.value.problems
    assert problem.where("zh") == "文件 '宗地.shp'"
    assert problem.describe("zh").startswith("文件 '宗地.shp'：")
    assert not untranslated(problem)


def test_input_row_is_named_in_chinese():
    problem = Problem("error", None, "status", "x", row=3, zh="值不对")
    assert problem.where("zh") == "输入第 3 行的宗地，字段 `status`"
    assert problem.text("zh") == "值不对" and problem.text("en") == "x"
    assert problem.as_dict("zh")["message"] == "值不对" and problem.as_dict()["message"] == "x"


def _chinese_all(problems) -> list[str]:
    return [why for p in problems if (why := untranslated(p))]


def test_idle_land_disposal_and_evaluation_findings_are_chinese():
    from planner.config import ParkConfig
    from planner.parcels.evaluation import consistency_checks, evaluate
    from planner.parcels.idle import classify_idle

    frame = grid_parcels(
        5,
        status=["supplied", "supplied", "in_production", "in_production", "supplied"],
        holder=["甲公司"] * 5,
        land_price_wan=[None, 800.0, 500.0, 500.0, 900.0],
        contract_date=["2020-01-01"] * 5,
        agreed_start_date=["2020-06-01", "2020-06-01", "2020-03-01", "2020-03-01", None],
        actual_start_date=[None, None, "2020-04-01", "2020-04-01", None],
        idle_fee_paid_wan=[None, 500.0, None, None, None],
        disposal=[None, "extend", None, None, None],
        disposal_date=[None, None, None, None, None],
        output_wan=[None, None, None, 5000.0, None],
        declared_area_mu=[None, None, 40.0, None, None],
    )
    check = validate_parcels(frame, crs_epsg=GK, park_id="T1")
    parcels = check.parcels
    config = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)
    problems = [
        *check.problems,
        *classify_idle(parcels, "2024-01-01", config).problems,
        *evaluate(parcels, config).problems,
        *consistency_checks(parcels),
    ]
    fields = {(p.parcel_id, p.field) for p in problems}
    assert {
        ("P000", "land_price_wan"),
        ("P001", "disposal_date"),
        ("P002", "tax_wan"),
        ("P003", "energy_tce"),
    } <= fields
    assert ("P004", "agreed_start_date") in fields and ("P002", "declared_area_mu") in fields
    assert _chinese_all(problems) == []
    by = {(p.parcel_id, p.field): p.zh for p in problems}
    assert by[("P002", "tax_wan")] == "投产宗地没有年税收，无法进行亩均评价"
    assert by[("P004", "agreed_start_date")] == "已供土地没有约定动工日期：无法判断是否闲置"
    assert by[("P001", "disposal_date")] == "处置「延长动工开发期限」（`extend`）没有日期"


def test_network_store_mapping_and_project_findings_are_chinese(tmp_path):
    import geopandas as gpd
    from shapely.geometry import LineString, MultiLineString, Point

    from planner.exchange.mapping import FieldMapping, apply_mapping, load_mapping
    from planner.infra.layers import check_lines, check_sources
    from planner.parcels.schema import FIELDS
    from planner.siting.project import parse_projects
    from planner.store.base import _check_edit

    lines = gpd.GeoDataFrame(
        {"line_id": ["W1", "W2", "W3"], "road_class": [None, "arterial", None]},
        geometry=[
            MultiLineString([[(X0, Y0), (X0 + 10, Y0)], [(X0, Y0 + 5), (X0 + 10, Y0 + 5)]]),
            LineString([(X0, Y0), (X0 + 10, Y0)]),
            LineString([(X0, Y0), (X0, Y0)]),
        ],
        crs=GK,
    )
    _, found = check_lines(lines, "water")
    sources = gpd.GeoDataFrame(
        {"source_id": ["S1", "S2"], "kind": ["substation", "waterworks"], "network": ["water", "water"]},
        geometry=[Point(X0, Y0), Point(X0 + 1, Y0)],
        crs=GK,
    )
    _, more = check_sources(sources)
    found += more
    (tmp_path / "m.yaml").write_text("columns: [a, b]\n", encoding="utf-8")
    found += load_mapping(tmp_path / "m.yaml")[1]
    frame = grid_parcels(2).rename(columns={"status": "DKZT"})
    mapping = FieldMapping(columns={"DKBH": "parcel_id", "x": "colour"}, values={"nothing": {}}, defaults={"a": 1})
    found += apply_mapping(frame, FIELDS, mapping, what="parcel")[1]
    with pytest.raises(ValidationError) as refused:
        _check_edit("P000", {"colour": 1, "area_m2": 5.0, "tax_wan": float("nan")})
    found += refused.value.problems
    with pytest.raises(ValidationError) as refused:
        parse_projects([{"name": "甲", "industry": "C99", "land_mu": "50亩", "power_mw": 3}, {"name": ""}])
    found += refused.value.problems
    assert len(found) >= 15
    assert _chinese_all(found) == []
    by = {(p.parcel_id, p.field): p.zh for p in found}
    assert by[("W1", "geometry")] == "多线（MultiLineString）已拆分为 2 条线"
    assert by[("S1", "kind")] == "变电站（`substation`）供电力管网（`power`），不供 `water`"
    assert by[("P000", "colour")] == "`colour` 不是宗地的字段"
    assert by[("甲", "land_mu")] == "须为以亩计的数字，实为 '50亩'：请只写以亩计的数字"


def test_a_geos_reason_reads_in_chinese():
    from planner.fields.flagging import geos_reason_zh

    assert geos_reason_zh("Self-intersection[118.2705 32.2455]") == "自相交（118.2705 32.2455）"
    assert geos_reason_zh("Ring Self-intersection[1 2]") == "环自相交（1 2）"
    assert geos_reason_zh("Something new[1 2]") == "「Something new[1 2]」"
