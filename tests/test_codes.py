import pandas as pd
import pytest

from planner.codes import industry_admits, industry_code_problem, is_industrial_storage, land_use_codes, split_codes


@pytest.mark.parametrize("code", ["C13", "C43", "C36", "C367", "C3670", "G59", "G5920", "D4420", "A01", "T97"])
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
