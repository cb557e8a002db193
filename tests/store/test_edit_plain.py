"""The quick paths of a one-parcel edit agree with pandas' reference, finding for finding and byte for byte.

:func:`planner.store.plain.plain_values` (text taken as it is), the one-row status check and the
short-cuts of the row rules must give what the pandas path gives: the same findings (severity,
field, English, Chinese, row), the same stored row and dtypes, the same history row. Each corpus
edit is run on a park with the quick paths, then on the same park made again with
``plain_values`` switched off; the row rules are compared with their pandas path on two rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from planner.config import ParkConfig
from planner.errors import ParcelNotFoundError, Problem, ValidationError, VersionConflictError
from planner.fields import coerce_types
from planner.parcels.validation import check_row_rules
from planner.store import create_park
from planner.store.layers import LAYERS
from planner.store.plain import plain_values
from tests.conftest import GK, grid_parcels

_HOLDERS = [
    "  新主 ",
    "",
    "   ",
    None,
    "a\x00b",
    "x\ud800y",
    True,
    "true",
    "是",
    12,
    1.5,
    ["x"],
    {"a": 1},
    float("nan"),
    1e400,
    10**400,
]
_STATUSES = ["supplied", " supplied ", "已供", "planned", "nonsense", None, "", True, "reserved", "under_construction"]
_OTHERS = [
    ("name", "  园区一号 "), ("name", 7), ("supply_mode", "转让"), ("supply_mode", "nope"), ("delay_cause", None),
    ("contract_date", "2020-01-05"), ("contract_date", "2020/1/5"), ("contract_date", "05/01/2020"),
    ("contract_date", 20200105), ("contract_date", "不是日期"), ("contract_date", None),
    ("contract_date", "1800-01-01"),
    ("actual_start_date", "2019-01-01"), ("halted_since", "2018-06-01"),
    ("power_kva", "12"), ("power_kva", 12), ("power_kva", -1), ("power_kva", 1e308),
    ("power_kva", "12 kVA"),
    ("power_kva", True), ("power_kva", "1e9"), ("power_kva", None), ("power_kva", float("nan")),
    ("power_kva", float("inf")), ("footprint_m2", 99_000), ("floor_area_m2", 10), ("green_ratio_pct", 150),
    ("declared_road", True), ("declared_road", "是"), ("declared_road", "true"), ("declared_road", 2),
    ("declared_road", None), ("disposal", "extend"), ("disposal_date", "2021-01-01"), ("restart_date", "2023-01-01"),
    ("disposal", None), ("holder", None), ("status", "in_production"), ("idle_notice_date", "2019-01-01"),
]  # fmt: skip
_EDITS = (
    [{"holder": v} for v in _HOLDERS]
    + [{"status": v} for v in _STATUSES]
    + [{k: v} for k, v in _OTHERS]
    + [{"holder": "甲公司", "status": "supplied"}, {"holder": "  ", "name": "乙"}, {"status": "planned", "name": ""}]
    + [{"holder": "丙", "power_kva": "x"}, {"holder": "丁"}, {}, {"nonsense": 1}, {"version": 3}]
)


def _problem(p: Problem) -> tuple:
    return (p.severity, p.parcel_id, p.field, p.message, p.zh, p.row, p.feature)


def _run(store, monkeypatch, *, quick: bool) -> list:
    """Each corpus edit on P000 (and a stale one, and one of no parcel): what it returned or raised."""
    if not quick:  # the reference: every value read by check_columns
        monkeypatch.setattr("planner.store.base.plain_values", lambda *_: None)
    outcomes = []
    for changes in [*_EDITS, *({"holder": "戊"} | e for e in _EDITS[:12])]:
        version = int(store.get_parcel("P000")["version"])
        try:
            row = store.update_parcel("P000", changes, version=version, by="tester")
        except ValidationError as exc:
            outcomes.append(("refused", [_problem(p) for p in exc.problems]))
            continue
        values = {k: (repr(v), type(v).__name__) for k, v in row.drop("geometry").items()}
        outcomes.append(("stored", values, [_problem(p) for p in row.attrs["problems"]], str(row.attrs["crs"])))
    version = int(store.get_parcel("P001")["version"])
    store.update_parcel("P001", {"holder": "己"}, version=version, by="tester")
    for pid, changes in (("P001", {"holder": "庚"}), ("P404", {"holder": "辛"})):
        with pytest.raises((VersionConflictError, ParcelNotFoundError)) as exc:
            store.update_parcel(pid, changes, version=version, by="tester")
        outcomes.append(("raised", type(exc.value).__name__, str(exc.value)))
    return outcomes


def _made(location: str, config: ParkConfig, monkeypatch):
    class _Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 6, 30, 8, 0, 0, 123456, tzinfo=UTC)

    monkeypatch.setattr("planner.store.changes.datetime", _Frozen)
    store = create_park(location, config, overwrite=True)
    parcels = grid_parcels(3, status=["supplied", "reserved", "planned"], holder=["甲", None, None])
    store.write_parcels(parcels, by="tester")
    return store


@pytest.fixture(params=["gpkg", "postgis"])
def location(request, tmp_path):
    if request.param == "gpkg":
        return str(tmp_path / "park.gpkg")
    return request.getfixturevalue("postgis_url")


def test_quick_edits_match_the_reference(location, monkeypatch):
    config = ParkConfig(park_id="PLAIN", name="测试园区", crs_epsg=GK)  # its own park: T1 is the fixtures'
    quick_store = _made(location, config, monkeypatch)
    quick = _run(quick_store, monkeypatch, quick=True)
    quick_rows, quick_history = quick_store.read_parcels(), quick_store.history()
    quick_store.close()
    reference_store = _made(location, config, monkeypatch)
    reference = _run(reference_store, monkeypatch, quick=False)
    assert [o[0] for o in quick].count("stored") >= 20  # the corpus stores, as well as refuses
    assert quick == reference
    rows = reference_store.read_parcels()
    pd.testing.assert_frame_equal(quick_rows.drop(columns="geometry"), rows.drop(columns="geometry"))
    history = reference_store.history()
    assert list(quick_history.dtypes) == list(history.dtypes)
    pd.testing.assert_frame_equal(quick_history, history)
    reference_store.close()


def test_plain_values_takes_only_text_as_it_is_stored():
    assert plain_values("P1", {"holder": "  甲 ", "status": "supplied"}).to_dict("list") == {
        "holder": ["甲"],
        "status": ["supplied"],
    }
    assert plain_values("P1", {"holder": "   "})["holder"].tolist() == [None]
    assert plain_values("P1", {"holder": "a\x00"}) is None  # refused: the reference says why
    assert plain_values("P1", {"status": "已供"}) is None  # a label read as its code: a repair
    assert plain_values("P1", {"status": None}) is None  # required
    assert plain_values("P1", {"power_kva": "12"}) is None  # a number
    assert plain_values(" ", {"holder": "甲"}) is None
    assert plain_values("P1", {}) is None


def _rows(**columns) -> pd.DataFrame:
    """Parcels in the stored dtypes with ``columns`` given (ids P000, P001 …), the other columns missing."""
    n = len(next(iter(columns.values())))
    spec = LAYERS["parcels"]
    frame = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in spec.columns})
    frame["parcel_id"] = [f"P{i:03d}" for i in range(n)]
    for c, v in columns.items():
        frame[c] = pd.Series(v, dtype=object)
    return coerce_types(frame, spec.by_name)


_RULE_COLUMNS = {
    "contract_date": [None, "2020-01-05"],
    "agreed_start_date": [None, "2019-01-01"],
    "actual_start_date": [None, "2019-06-01"],
    "agreed_completion_date": [None, "2018-01-01"],
    "halted_since": [None, "2018-06-01"],
    "idle_notice_date": [None, "2019-01-01"],
    "idle_determined_date": [None, "2018-12-01"],
    "disposal": [None, "extend", "temporary_use"],
    "disposal_date": [None, "2018-11-01"],
    "restart_date": [None, "2022-06-01"],
    "temporary_use_until": [None, "2017-01-01"],
    "delay_cause": [None, "government"],
    "status": [None, "planned", "reserved", "supplied", "under_construction", "in_production"],
    "holder": [None, "甲"],
    "area_m2": [None, 1000.0],
    "footprint_m2": [None, 2000.0],
    "floor_area_m2": [None, 500.0],
    "developed_area_m2": [None, 5000.0],
    "investment_total_wan": [None, 10.0],
    "investment_actual_wan": [None, 20.0],
}


def test_one_row_rules_match_the_pandas_path():
    """Each parcel's findings alone equal its findings beside a parcel that has every record (no short-cut)."""
    rng = np.random.default_rng(7)
    full = {c: v[-1] for c, v in _RULE_COLUMNS.items()}
    for _ in range(120):
        one = {c: v[rng.integers(len(v))] for c, v in _RULE_COLUMNS.items()}
        alone = check_row_rules(_rows(**{c: [v] for c, v in one.items()}))
        beside = check_row_rules(_rows(**{c: [one[c], full[c]] for c in one}))
        assert [_problem(p) for p in alone] == [_problem(p) for p in beside if p.row == 0]
    assert any(check_row_rules(_rows(**{c: [v] for c, v in full.items()})))  # the rules have things to say
