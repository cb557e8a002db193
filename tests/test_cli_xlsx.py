"""``--xlsx`` on ``ready``, ``idle``, ``match``, ``assign`` and ``stats``: the workbook read back against the JSON."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from planner.codes import land_use_codes
from planner.siting.rules import RULE_LABELS
from planner.store import open_store
from planner.vocab import IDLE_RULES, STATUSES
from tests.test_cli import run


@pytest.fixture
def park_copy(tmp_path, demo_park):
    target = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, target)
    shutil.copy(demo_park.dem_path, tmp_path / "dem.tif")
    return target


def _sheets(path: Path) -> dict[str, list[dict[str, object]]]:
    """Each worksheet's rows as dicts by header (a blank row ends the table; notes follow it)."""
    book = openpyxl.load_workbook(path)
    out = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        head, body = rows[0], []
        for row in rows[1:]:
            if all(v is None for v in row):
                break
            body.append(dict(zip(head, row, strict=True)))
        out[sheet.title] = body
    return out


def _decimals(value: float) -> int:
    text = repr(float(value))
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def test_ready_xlsx_has_chinese_headers_labels_and_rounded_mu(park_copy, tmp_path):
    assert run("readiness", str(park_copy)).returncode == 0
    out = tmp_path / "ready.xlsx"
    done = run("ready", str(park_copy), "--min-mu", "30", "--xlsx", str(out))
    assert done.returncode == 0, done.stderr
    ((title, rows),) = _sheets(out).items()
    assert title == "熟地 ≥ 30 亩"
    parcels = open_store(park_copy).read_parcels().set_index("parcel_id")
    expected = parcels[parcels["ready"].astype(bool) & (parcels["area_mu"] >= 30)]
    assert sorted(r["宗地代码"] for r in rows) == sorted(expected.index)
    names = land_use_codes()["name_zh"]
    for row in rows:
        stored = expected.loc[row["宗地代码"]]
        assert row["宗地面积（亩）"] == round(stored["area_mu"], 4)
        assert row["供地状态"] == STATUSES[stored["status"]][0]  # the label, not the code
        assert row["用地分类"] == f"{stored['land_use']} {names[stored['land_use']]}"
    areas = [r["宗地面积（亩）"] for r in rows]
    assert areas == sorted(areas, reverse=True)


def test_idle_xlsx_matches_the_stored_idle_columns(park_copy, tmp_path):
    out = tmp_path / "idle.xlsx"
    done = run("idle", str(park_copy), "--as-of", "2026-12-31", "--xlsx", str(out))
    assert done.returncode == 0, done.stderr
    rows = _sheets(out)["闲置土地（截至 2026-12-31）"]
    parcels = open_store(park_copy).read_parcels().set_index("parcel_id")
    idle = parcels[parcels["idle_rule"].notna()]
    by_id = {r["宗地代码"]: r for r in rows}
    assert set(idle.index) <= set(by_id)
    for pid, stored in idle.iterrows():
        row = by_id[pid]
        assert row["闲置情形"] == IDLE_RULES[stored["idle_rule"]][0]
        assert row["闲置起始日"] == datetime.combine(stored["idle_since"].date(), datetime.min.time())  # a date
        fee = stored["idle_fee_wan"]
        assert row["土地闲置费（万元）"] == (None if fee != fee else round(fee, 2))
        assert row["宗地面积（亩）"] == round(stored["area_mu"], 4)


def test_stats_xlsx_matches_its_json(park_copy, tmp_path):
    js, out = tmp_path / "s.json", tmp_path / "s.xlsx"
    done = run("stats", str(park_copy), "--json", str(js), "--xlsx", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(js.read_text(encoding="utf-8"))
    sheets = _sheets(out)
    park = {r["园区编号"]: r for r in sheets["土地集约利用指标"]}["CZ-DEMO"]
    figures = data["parks"]["CZ-DEMO"]
    assert park["土地开发率（%）"] == round(figures["land_development_rate_pct"], 1)
    assert park["园区土地面积（宗地合计）（ha）"] == round(figures["park_area_ha"], 4)
    assert park["宗地数（宗）"] == figures["parcels"]
    evaluation = sheets["亩均效益评价"]
    counts: dict[str, int] = {}
    for row in evaluation:
        counts[row["评价类别"]] = counts.get(row["评价类别"], 0) + 1
        assert row["低效用地"] in ("是", "否")
        assert _decimals(row["宗地面积（亩）"]) <= 4
    assert counts == data["evaluation"]


def test_match_xlsx_matches_its_json(park_copy, tmp_path):
    projects = json.loads(Path("data/demo/projects.json").read_text(encoding="utf-8"))
    one = tmp_path / "p.json"
    one.write_text(json.dumps(projects[0], ensure_ascii=False), encoding="utf-8")
    js, out = tmp_path / "m.json", tmp_path / "m.xlsx"
    done = run("match", str(park_copy), "--project", str(one), "--json", str(js), "--xlsx", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(js.read_text(encoding="utf-8"))
    sheets = _sheets(out)
    candidates = sheets["候选地块"]
    assert len(candidates) == len(data["candidates"]) > 0
    for row, entry in zip(candidates, data["candidates"], strict=True):
        assert row["名次"] == entry["rank"]
        assert row["地块"] == "、".join(entry["parcel_ids"])
        assert abs(row["宗地面积（亩）"] - entry["area_mu"]) <= 0.005 and _decimals(row["宗地面积（亩）"]) <= 4
        assert abs(row["得分（满分100）"] - 100 * entry["score"]) <= 0.01
        for criterion in entry["criteria"]:
            value = row[f"{criterion['label']}（{criterion['unit']}）"]
            if criterion["value"] is None:
                assert value is None
            else:
                assert abs(value - criterion["value"]) <= 0.005 + 1e-9 * abs(value)
    rejected = sheets["未入选地块"]
    assert len(rejected) == len(data["rejected"])
    for row, entry in zip(rejected, data["rejected"], strict=True):
        assert row["宗地代码"] == entry["parcel_id"]
        assert row["首个不满足的条件"] == RULE_LABELS[entry["rule"]][0] == entry["label"]


def test_assign_xlsx_matches_its_json(park_copy, tmp_path):
    js, out = tmp_path / "a.json", tmp_path / "a.xlsx"
    done = run("assign", str(park_copy), "--projects", "data/demo/projects.json", "--json", str(js), "--xlsx", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(js.read_text(encoding="utf-8"))
    rows = _sheets(out)["项目分配"]
    assert [r["项目"] for r in rows] == [a["project"] for a in data["assignments"]]
    for row, entry in zip(rows, data["assignments"], strict=True):
        assert row["产业代码"] == entry["industry"]
        assert row["地块"] == ("、".join(entry["parcel_ids"]) or None)
        if entry["area_mu"] is None:
            assert row["宗地面积（亩）"] is None and row["原因"] == entry["reason"]
        else:
            assert abs(row["宗地面积（亩）"] - entry["area_mu"]) <= 0.005
            assert abs(row["得分（满分100）"] - 100 * entry["score"]) <= 0.01


def test_an_xlsx_in_a_missing_folder_is_refused_before_any_work(park_copy, tmp_path):
    done = run("stats", str(park_copy), "--xlsx", str(tmp_path / "no" / "s.xlsx"))
    assert done.returncode == 1 and "输出文件夹不存在" in done.stderr
