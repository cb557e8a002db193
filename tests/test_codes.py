import pandas as pd
import pytest

from planner import codes
from planner.codes import (
    industry_admits,
    industry_code_problem,
    industry_codes,
    industry_sections,
    is_industrial_storage,
    land_use_codes,
    split_codes,
)


@pytest.mark.parametrize(
    "code", ["C13", "C43", "C36", "C367", "C3670", "G59", "G5920", "D4420", "A01", "T97", "C1399", "C2927", "C3741"]
)
def test_valid_codes(code):
    assert industry_code_problem(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("C12", "division 12 is not in section C"),
        ("C44", "division 44 is not in section C"),
        ("G61", "division 61 is not in section G"),
        ("36", "not a GB/T 4754-2017 code"),
        ("C36700", "not a GB/T 4754-2017 code"),
        ("U01", "not a GB/T 4754-2017 code"),
        ("c36", "not a GB/T 4754-2017 code"),
    ],
)
def test_invalid_codes_say_why(code, message):
    assert message in industry_code_problem(code)


def test_zone_admits_codes_below_it_only():
    assert industry_admits("C36", "C3670")
    assert industry_admits("C367", "C3670")
    assert industry_admits("C3670", "C3670")
    assert not industry_admits("C3670", "C36")
    assert not industry_admits("C36", "C37")
    assert not industry_admits("C3", "C36")  # a section letter and one digit is no code


def test_split_codes_accepts_chinese_separators():
    assert split_codes("C34，C35、c39; G59  C36") == ["C34", "C35", "C39", "G59", "C36"]
    assert split_codes("  ") == []


def test_land_use_table_has_the_industrial_classes():
    table = land_use_codes()
    assert table.loc["100101", "name_zh"] == "一类工业用地"
    assert table.loc["100102", "industrial_class"] == "M2"
    assert table.loc["100103", "industrial_class"] == "M3"
    assert table.loc["1101", "name_zh"] == "物流仓储用地"
    assert table.loc["0701", "name_zh"] == "城镇住宅用地"  # leading zero kept
    assert table.index.is_unique


def test_industrial_storage_land_is_gbt21010_class_06():
    """GB/T 21010-2017 06 工矿仓储用地 = 工业, 采矿, 盐田, 仓储: 用地用海 10xx and 11xx, 储备库 1102 included."""
    table = land_use_codes()
    inside = [c for c in table.index if is_industrial_storage(pd.Series([c]))[0]]
    assert inside == ["10", "1001", "100101", "100102", "100103", "1002", "1003", "11", "1101", "110101", "110102",
                      "110103", "1102"]  # fmt: skip
    assert not is_industrial_storage(pd.Series(["1201", "0901", "", None])).any()


C36_GROUPS = [
    "汽车用发动机制造",
    "改装汽车制造",
    "低速汽车制造",
    "电车制造",
    "汽车车身、挂车制造",
    "汽车零部件及配件制造",
]
# An excerpt of GB/T 4754-2017 (C36 汽车制造业 whole, and group C139), as data/gbt4754_2017.csv lays it out.
EXCERPT = pd.DataFrame(
    [
        ("C", "section", "制造业"),
        ("C13", "division", "农副食品加工业"),
        ("C139", "group", "其他农副食品加工"),
        ("C1391", "class", "淀粉及淀粉制品制造"),
        ("C1392", "class", "豆制品制造"),
        ("C1393", "class", "蛋品加工"),
        ("C1399", "class", "其他未列明农副食品加工"),
        ("C36", "division", "汽车制造业"),
        ("C361", "group", "汽车整车制造"),
        ("C3611", "class", "汽柴油车整车制造"),
        ("C3612", "class", "新能源车整车制造"),
        *((f"C36{g}", "group", name) for g, name in zip("234567", C36_GROUPS, strict=True)),
        *((f"C36{g}0", "class", "") for g in "234567"),
    ],
    columns=["code", "level", "name_zh"],
).set_index("code")  # fmt: skip


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("C3699", "'C3699' is not a class of GB/T 4754-2017: C36 汽车制造业 has no group C369; nearest valid: C3670"),
        ("C1394", "C139 其他农副食品加工 has no class C1394; nearest valid: C1393, C1392, C1391"),
        ("C369", "'C369' is not a group of GB/T 4754-2017: C36 汽车制造业 has no group C369"),
        ("C3672", "C367 汽车零部件及配件制造 has no class C3672; nearest valid: C3670"),
    ],
)
def test_codes_are_checked_to_the_level_given(monkeypatch, code, message):
    """GB/T 4754-2017: C36 汽车制造业 has groups 361–367 only; group 139 has classes 1391–1393 and 1399."""
    monkeypatch.setattr(codes, "industry_codes", lambda: EXCERPT)
    assert message in industry_code_problem(code)
    for valid in ("C1399", "C139", "C3670", "C36"):
        assert industry_code_problem(valid) is None


def test_without_the_full_table_codes_are_checked_to_the_division(monkeypatch):
    monkeypatch.setattr(codes, "industry_codes", lambda: None)
    assert industry_code_problem("C3699") is None
    assert "division 12 is not in section C" in industry_code_problem("C12")


def test_the_classification_table_matches_the_published_counts():
    """GB/T 4754-2017: 20 sections, 97 divisions, 473 groups and 1,382 classes (where the table is shipped)."""
    table = industry_codes()
    if table is None:
        pytest.skip("data/gbt4754_2017.csv is not shipped")
    counts = table["level"].value_counts().to_dict()
    assert counts == {"section": 20, "division": 97, "group": 473, "class": 1382}
    sections = industry_sections()
    for code in table.index[table["level"] == "division"]:
        row = sections.loc[code[0]]
        assert row.first_division <= int(code[1:]) <= row.last_division, code
