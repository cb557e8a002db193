import re
import warnings

import pytest

from planner.config import CHECKLIST_PRESETS, DEFAULT_THRESHOLDS, LeadingIndustry, ParkConfig, checklist_from_preset
from planner.errors import ConfigError


def test_defaults_are_the_national_rules():
    c = ParkConfig(park_id="P", name="园", crs_epsg=4548)
    assert c.checklist == ("road", "water", "drainage", "power", "telecom", "gas", "heat", "leveled")
    assert c.threshold("idle_fee_rate") == 0.20
    assert c.threshold("idle_developed_fraction") == pytest.approx(1 / 3)
    assert c.threshold("idle_investment_fraction") == 0.25
    assert c.threshold("building_coverage_min") == 0.30
    assert c.threshold("admin_living_share_max") == 0.07
    assert c.threshold("green_ratio_max") == 0.20
    assert c.threshold("standard_factory_below_wan") == 5000


def test_presets():
    assert checklist_from_preset("三通一平") == ("road", "water", "power", "leveled")
    assert len(checklist_from_preset("五通一平")) == 6
    assert len(CHECKLIST_PRESETS["七通一平"]) == 8
    with pytest.raises(ConfigError, match="九通一平 needs cable-TV"):
        checklist_from_preset("九通一平")


def test_json_round_trip_keeps_everything():
    c = ParkConfig(
        park_id="P",
        name="园",
        crs_epsg=4548,
        checklist=CHECKLIST_PRESETS["五通一平"],
        leading_industries=(LeadingIndustry("装备制造", ("C34", "C35")),),
        thresholds={**DEFAULT_THRESHOLDS, "tax_min_wan_per_mu": 30.0},
    )
    back = ParkConfig.from_json(c.to_json())
    assert back == c
    assert back.threshold("tax_min_wan_per_mu") == 30.0


def test_from_dict_accepts_a_preset_name_and_partial_thresholds():
    c = ParkConfig.from_dict(
        {
            "park_id": "P",
            "name": "园",
            "crs_epsg": "4548",
            "checklist": "三通一平",
            "thresholds": {"tax_min_wan_per_mu": 25},
        }
    )
    assert c.checklist == ("road", "water", "power", "leveled")
    assert c.threshold("tax_min_wan_per_mu") == 25
    assert c.threshold("idle_fee_rate") == 0.20


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"crs_epsg": 3857}, "EPSG:4534–4554"),
        ({"crs_epsg": 4527}, "without zone prefix"),
        ({"checklist": ("road", "cable_tv")}, r"\['cable_tv'\] not allowed; allowed: road, water"),
        ({"checklist": ()}, "must not be empty"),
        ({"checklist": ("road", "road")}, "repeats"),
        ({"thresholds": {"idle_fee_rate": -0.2}}, "`thresholds.idle_fee_rate` must be a number ≥ 0"),
        ({"thresholds": {"fee": 1}}, "`thresholds.fee` is not a known threshold"),
        ({"networks": {"sewer": {}}}, "`networks.sewer` is not a network"),
        ({"networks": {"water": {"service_distance_m": "far"}}}, "must be a number of metres"),
        ({"leading_industries": (LeadingIndustry("化工", ("C12",)),)}, "division 12 is not in section C"),
        ({"park_id": " "}, "`park_id` ' ' is not allowed; use 1–64 letters"),
        ({"park_id": None}, "`park_id` None is not allowed"),
        ({"park_id": 5}, "`park_id` 5 is not allowed"),
        ({"crs_epsg": "4548"}, "`crs_epsg` must be an EPSG number, got '4548'"),
        ({"networks": {"water": {"service_distance_m": float("nan")}}}, "must be a number of metres ≥ 0, got nan"),
        ({"thresholds": {"idle_fee_rate": float("inf")}}, "must be a number ≥ 0, got inf"),
        ({"leading_industries": ("装备制造",)}, "a leading industry must be a name with codes"),
    ],
)
def test_bad_values_are_named(changes, message):
    base = {"park_id": "P", "name": "园", "crs_epsg": 4548}
    with pytest.raises(ConfigError, match=message):
        ParkConfig(**{**base, **changes})


def test_unknown_and_missing_keys_are_named():
    with pytest.raises(ConfigError, match=r"unknown configuration key\(s\) \['colour'\]"):
        ParkConfig.from_dict({"park_id": "P", "name": "园", "crs_epsg": 4548, "colour": "red"})
    with pytest.raises(ConfigError, match=r"lacks \['crs_epsg'\]"):
        ParkConfig.from_dict({"park_id": "P", "name": "园"})
    with pytest.raises(ConfigError, match="not valid JSON"):
        ParkConfig.from_json("{park")


def test_more_than_three_leading_industries_is_a_warning_not_an_error():
    four = tuple(LeadingIndustry(n, (c,)) for n, c in [("甲", "C34"), ("乙", "C39"), ("丙", "C36"), ("丁", "C27")])
    with pytest.warns(UserWarning, match="declares 4 leading industries; a park should declare at most 3"):
        ParkConfig(park_id="P", name="园", crs_epsg=4548, leading_industries=four)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ParkConfig(park_id="P", name="园", crs_epsg=4548, leading_industries=four[:3])


def test_nulls_in_a_config_file_mean_the_defaults():
    c = ParkConfig.from_dict(
        {
            "park_id": "P",
            "name": "园",
            "crs_epsg": 4548,
            "thresholds": None,
            "checklist": None,
            "networks": {"road": None},
            "leading_industries": None,
        }
    )
    assert c.checklist == CHECKLIST_PRESETS["七通一平"]
    assert c.threshold("idle_fee_rate") == 0.20
    assert c.networks["road"]["service_distance_m"] == 30.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"leading_industries": ["装备制造"]}, "`leading_industries` must be a list of {name_zh, codes} objects"),
        ({"networks": ["road"]}, "`networks` must be an object by network name"),
        ({"networks": {"road": 30}}, "`networks.road` must be an object"),
        ({"thresholds": [1, 2]}, "`thresholds` must be an object"),
        ({"crs_epsg": "EPSG:4548"}, "`crs_epsg` must be an EPSG number, got 'EPSG:4548'"),
    ],
)
def test_malformed_config_files_are_named(data, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        ParkConfig.from_dict({"park_id": "P", "name": "园", "crs_epsg": 4548, **data})


def test_checklist_names():
    from planner.config import checklist_name

    assert checklist_name(CHECKLIST_PRESETS["五通一平"]) == "五通一平"
    assert checklist_name(("road", "power")) == "园区清单"


@pytest.mark.parametrize("park_id", ["../x", "a b", "<script>", "_x", "", "x" * 65, "P</script>"])
def test_a_park_id_cannot_hold_paths_spaces_or_markup(park_id):
    with pytest.raises(ConfigError, match="is not allowed; use 1–64 letters"):
        ParkConfig(park_id=park_id, name="x", crs_epsg=4548)


def test_a_park_id_may_be_chinese():
    assert ParkConfig(park_id="示范园区-1", name="x", crs_epsg=4548).park_id == "示范园区-1"


@pytest.mark.parametrize("region", [8.0, 2.5])
def test_region_class_is_one_to_seven_or_unset(region):
    """国土资发〔2008〕24号 表1 has seven region classes (一类–七类); 0 means the park names none."""
    with pytest.raises(ConfigError, match=r"investment_region_class` must be 1–7"):
        ParkConfig(park_id="P", name="园", crs_epsg=4548, thresholds={"investment_region_class": region})
    assert ParkConfig(park_id="P", name="园", crs_epsg=4548).threshold("investment_region_class") == 0


def test_rank_quotas_are_a_switch_with_shares_that_fit():
    with pytest.raises(ConfigError, match="eval_rank_quotas` must be 0"):
        ParkConfig(park_id="P", name="园", crs_epsg=4548, thresholds={"eval_rank_quotas": 2.0})
    with pytest.raises(ConfigError, match="add up to at most 1"):
        ParkConfig(
            park_id="P", name="园", crs_epsg=4548, thresholds={"eval_rank_a_share": 0.8, "eval_rank_d_share": 0.3}
        )
