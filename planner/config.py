"""A park's configuration: identity, CRS, readiness checklist, leading industries, thresholds.

The defaults are the national rules of ``DESIGN.md`` (Rules from regulation);
a park overrides any of them. The configuration lives in the park's store
(table ``park_config``) and travels with it.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from planner.codes import industry_code_problem
from planner.crs import is_gk_epsg, zone_of_epsg
from planner.errors import ConfigError
from planner.vocab import CHECKLIST_ITEMS, NETWORK_ITEMS

__all__ = [
    "CHECKLIST_PRESETS",
    "DEFAULT_THRESHOLDS",
    "MAX_LEADING_INDUSTRIES",
    "SITING_WEIGHTS",
    "LeadingIndustry",
    "ParkConfig",
    "checklist_from_preset",
    "checklist_name",
]

CHECKLIST_PRESETS: Mapping[str, tuple[str, ...]] = {
    "三通一平": ("road", "water", "power", "leveled"),
    "五通一平": ("road", "water", "drainage", "power", "telecom", "leveled"),
    "七通一平": ("road", "water", "drainage", "power", "telecom", "gas", "heat", "leveled"),
}
"""Common checklists. 九通一平 adds cable TV and broadband, which have no network layer yet."""

_PARK_ID = re.compile(r"[^\W_][\w.-]{0,63}")
"""A park id: a letter or digit, then letters, digits, '_', '-', '.' (no '/', quotes or markup)."""

MAX_LEADING_INDUSTRIES = 3
"""A park declares at most three leading industries (主导产业); more is a warning."""

DEFAULT_THRESHOLDS: Mapping[str, float] = {
    # 闲置土地处置办法 (2012), arts. 2, 14
    "idle_after_years": 1.0,
    "reclaim_after_years": 2.0,
    "idle_fee_rate": 0.20,
    "idle_developed_fraction": 1.0 / 3.0,
    "idle_investment_fraction": 0.25,
    # 工业项目建设用地控制指标 (2008; 2023 revision)
    "building_coverage_min": 0.30,
    "admin_living_share_max": 0.07,
    "green_ratio_max": 0.20,
    # the park's region class in 表1 of the 2008 indicators (一类–七类 by land grade; 0: not set)
    "investment_region_class": 0.0,
    # park floors per mu (common local rules; parks set their own)
    "investment_intensity_min_wan_per_mu": 250.0,
    "output_min_wan_per_mu": 400.0,
    "tax_min_wan_per_mu": 20.0,
    # projects under this get standard factory space, not a parcel
    "standard_factory_below_wan": 5000.0,
    # per-mu evaluation (亩均效益评价): benchmarks, weights, score cap and class floors
    "eval_output_per_tce_benchmark_wan": 5.0,
    "eval_weight_tax": 0.45,
    "eval_weight_output": 0.25,
    "eval_weight_energy": 0.15,
    "eval_weight_far": 0.15,
    "eval_score_cap": 1.2,
    "eval_class_a_min_score": 100.0,
    "eval_class_b_min_score": 80.0,
    "eval_class_c_min_score": 50.0,
    # per-mu evaluation by rank quotas instead of absolute scores (1: A the top share, D the bottom share)
    "eval_rank_quotas": 0.0,
    "eval_rank_a_share": 0.20,
    "eval_rank_d_share": 0.05,
    # per-mu evaluation the Zhejiang way (亩均论英雄, 1): large firms (规上: annual output ≥ the line, or land ≥ the
    # area floor where set above 0) on tax, output and energy per mu, small ones on tax per mu only
    "eval_method_zhejiang": 0.0,
    "eval_zj_large_min_output_wan": 2000.0,
    "eval_zj_large_min_area_mu": 0.0,
    "eval_zj_weight_tax": 0.5,
    "eval_zj_weight_output": 0.3,
    "eval_zj_weight_energy": 0.2,
    # logistics land (1101xx) is scored against its own floors per mu (0: the park sets none, not scored)
    "eval_logistics_tax_min_wan_per_mu": 0.0,
    "eval_logistics_output_min_wan_per_mu": 0.0,
    # power load on a substation: installed kVA × demand and coincidence factors (需要系数 × 同时系数)
    "power_coincidence_factor": 0.45,
    # site leveling (场地平整)
    "leveled_relief_max_m": 2.0,
    "leveled_slope_max_pct": 2.0,
    # siting: a land need of "about N 亩" accepts N × (1 − under) … N × (1 + over)
    "siting_area_under_fraction": 0.10,
    "siting_area_over_fraction": 0.25,
    # siting: weights of the score's criteria (they add up to 1)
    "siting_weight_area_fit": 0.25,
    "siting_weight_readiness": 0.20,
    "siting_weight_capacity": 0.15,
    "siting_weight_road": 0.10,
    "siting_weight_chain": 0.15,
    "siting_weight_earthwork": 0.10,
    "siting_weight_single_parcel": 0.05,
    # siting: scales of the criteria
    "siting_road_scale_m": 10000.0,
    "siting_chain_radius_m": 1000.0,
    "siting_chain_full_count": 20.0,
    "siting_earthwork_scale_m": 1.0,
    # siting: parcels this close, sharing this much boundary, are adjacent and may be combined, up to this many
    "siting_adjacent_max_m": 1.0,
    "siting_adjacent_min_shared_m": 20.0,
    "siting_group_max_parcels": 3.0,
    # maps: above this many parcels the park map draws them from vector tiles, not inline GeoJSON
    "map_max_inline_parcels": 5000.0,
}

SITING_WEIGHTS = tuple(k for k in DEFAULT_THRESHOLDS if k.startswith("siting_weight_"))
"""The thresholds that weigh the siting score's criteria."""

_NETWORK_DEFAULTS: Mapping[str, Mapping[str, float]] = {
    # service_distance_m: how far the network may pass from the parcel boundary;
    # service_radius_m: how far along the network from a live source it serves.
    "road": {"service_distance_m": 30.0, "service_radius_m": 30000.0},
    "water": {"service_distance_m": 60.0, "service_radius_m": 8000.0},
    "drainage": {"service_distance_m": 60.0, "service_radius_m": 8000.0},
    "power": {"service_distance_m": 100.0, "service_radius_m": 6000.0},
    "telecom": {"service_distance_m": 100.0, "service_radius_m": 10000.0},
    "gas": {"service_distance_m": 60.0, "service_radius_m": 8000.0},
    "heat": {"service_distance_m": 60.0, "service_radius_m": 4000.0},
}


@dataclass(frozen=True)
class LeadingIndustry:
    """A leading industry (主导产业): a name parks use and the GB/T 4754 codes it covers."""

    name_zh: str
    codes: tuple[str, ...]
    name_en: str = ""


@dataclass(frozen=True)
class ParkConfig:
    """Configuration of one park.

    ``crs_epsg`` is the park's storage CRS, a CGCS2000 3-degree Gauss–Krüger
    code without zone prefix (EPSG:4534–4554). ``checklist`` lists the items of
    :data:`planner.vocab.CHECKLIST_ITEMS` a parcel needs to be 熟地.
    """

    park_id: str
    name: str
    crs_epsg: int
    name_en: str = ""
    checklist: tuple[str, ...] = CHECKLIST_PRESETS["七通一平"]
    leading_industries: tuple[LeadingIndustry, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    networks: Mapping[str, Mapping[str, float]] = field(
        default_factory=lambda: {k: dict(v) for k, v in _NETWORK_DEFAULTS.items()}
    )
    dem: str | None = None
    """Path of the park's DEM GeoTIFF, relative to the store's folder."""
    unit_costs: Mapping[str, float] = field(default_factory=dict)
    """The park's own unit costs (万元 per unit), ``<network>:<class>`` → cost, over ``data/unit_costs.csv``."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> list[str]:
        """Raise :class:`ConfigError` on a bad value; return warnings (also issued)."""
        self._check_identity()
        self._check_checklist()
        self._check_thresholds()
        self._check_networks()
        self._check_unit_costs()
        self._check_leading_industries()
        self._check_periods_and_weights()
        self._check_scores()
        notes = []
        if len(self.leading_industries) > MAX_LEADING_INDUSTRIES:
            notes.append(
                f"park {self.park_id!r} declares {len(self.leading_industries)} leading industries; "
                f"a park should declare at most {MAX_LEADING_INDUSTRIES} (主导产业不超过3个)"
            )
        for note in notes:
            warnings.warn(note, UserWarning, stacklevel=3)
        return notes

    def _check_identity(self) -> None:
        """The park id, its name and its storage CRS."""
        if not isinstance(self.park_id, str) or not _PARK_ID.fullmatch(self.park_id):
            msg = (
                f"`park_id` {self.park_id!r} is not allowed; use 1–64 letters (Chinese too), digits, '_', '-' or '.', "
                "starting with a letter or digit (it names files and database schemas)"
            )
            raise ConfigError(msg)
        if not isinstance(self.name, str):
            msg = f"`name` must be a text, got {self.name!r}"
            raise ConfigError(msg)
        if not isinstance(self.crs_epsg, int) or isinstance(self.crs_epsg, bool):
            msg = f"`crs_epsg` must be an EPSG number, got {self.crs_epsg!r}"
            raise ConfigError(msg)
        if not is_gk_epsg(self.crs_epsg) or zone_of_epsg(self.crs_epsg)[1]:
            msg = (
                f"`crs_epsg` {self.crs_epsg} is not allowed; a park is stored in CGCS2000 3-degree "
                "Gauss–Krüger without zone prefix, EPSG:4534–4554 (planner.crs.gk_epsg(lon))"
            )
            raise ConfigError(msg)

    def _check_checklist(self) -> None:
        """The checklist: known items, at least one, none twice."""
        unknown = [item for item in self.checklist if item not in CHECKLIST_ITEMS]
        if unknown or not self.checklist:
            msg = (
                f"`checklist` item(s) {unknown} not allowed; allowed: {', '.join(CHECKLIST_ITEMS)}"
                if unknown
                else "`checklist` must not be empty"
            )
            raise ConfigError(msg)
        if len(set(self.checklist)) != len(self.checklist):
            msg = f"`checklist` repeats an item: {list(self.checklist)}"
            raise ConfigError(msg)

    def _check_thresholds(self) -> None:
        """Each threshold given is a known one and a number ≥ 0."""
        for key, value in self.thresholds.items():
            if key not in DEFAULT_THRESHOLDS:
                msg = f"`thresholds.{key}` is not a known threshold; known: {', '.join(DEFAULT_THRESHOLDS)}"
                raise ConfigError(msg)
            if not _nonnegative(value):
                msg = f"`thresholds.{key}` must be a number ≥ 0, got {value!r}"
                raise ConfigError(msg)

    def _check_networks(self) -> None:
        """Each network's settings: a known network, known settings, metres ≥ 0."""
        for net, values in self.networks.items():
            if net not in NETWORK_ITEMS:
                msg = f"`networks.{net}` is not a network; allowed: {', '.join(NETWORK_ITEMS)}"
                raise ConfigError(msg)
            for key, value in values.items():
                if key not in ("service_distance_m", "service_radius_m"):
                    msg = f"`networks.{net}.{key}` is not known; allowed: service_distance_m, service_radius_m"
                    raise ConfigError(msg)
                if not _nonnegative(value):
                    msg = f"`networks.{net}.{key}` must be a number of metres ≥ 0, got {value!r}"
                    raise ConfigError(msg)

    def _check_unit_costs(self) -> None:
        """Each unit cost: a key ``<network or leveled>:<class>`` (``water:DN300``) and a number of 万元 ≥ 0."""
        if not isinstance(self.unit_costs, Mapping):
            msg = f"`unit_costs` must be an object of `<network>:<class>` keys, got {self.unit_costs!r}"
            raise ConfigError(msg)
        for key, value in self.unit_costs.items():
            item, _, size = str(key).partition(":")
            if item not in CHECKLIST_ITEMS or not size:
                msg = (
                    f"`unit_costs.{key}` is not allowed; write `<network>:<class>` (e.g. water:DN300, "
                    f"power:expansion, leveled:default) with a network of {', '.join(CHECKLIST_ITEMS)}"
                )
                raise ConfigError(msg)
            if not _nonnegative(value):
                msg = f"`unit_costs.{key}` must be a number of 万元 ≥ 0, got {value!r}"
                raise ConfigError(msg)

    def _check_leading_industries(self) -> None:
        """Each leading industry: a name of its own and valid GB/T 4754 codes."""
        names = set()
        for industry in self.leading_industries:
            if not isinstance(industry, LeadingIndustry):
                msg = f"a leading industry must be a name with codes, got {industry!r}"
                raise ConfigError(msg)
            if not industry.name_zh or industry.name_zh in names:
                msg = f"leading industry name {industry.name_zh!r} is empty or repeated"
                raise ConfigError(msg)
            names.add(industry.name_zh)
            if not industry.codes:
                msg = f"leading industry {industry.name_zh!r} lists no industry codes"
                raise ConfigError(msg)
            for code in industry.codes:
                problem = industry_code_problem(code) if isinstance(code, str) else f"{code!r} is not a code"
                if problem:
                    msg = f"leading industry {industry.name_zh!r}: {problem}"
                    raise ConfigError(msg)

    def _check_periods_and_weights(self) -> None:
        """Idle-land periods in whole years; the evaluation's and the siting score's weights adding up to 1."""
        for key in ("idle_after_years", "reclaim_after_years"):
            value = self.threshold(key)
            if value < 1 or value != int(value):
                msg = f"`thresholds.{key}` must be a whole number of years ≥ 1, got {value:g}"
                raise ConfigError(msg)
        weights = [
            self.threshold(k)
            for k in ("eval_weight_tax", "eval_weight_output", "eval_weight_energy", "eval_weight_far")
        ]
        if not math.isclose(sum(weights), 1.0, abs_tol=1e-9):
            msg = f"`thresholds.eval_weight_*` must add up to 1, got {sum(weights):g}"
            raise ConfigError(msg)
        zhejiang = sum(self.threshold(f"eval_zj_weight_{k}") for k in ("tax", "output", "energy"))
        if not math.isclose(zhejiang, 1.0, abs_tol=1e-9):
            msg = f"`thresholds.eval_zj_weight_*` must add up to 1, got {zhejiang:g}"
            raise ConfigError(msg)
        siting = sum(self.threshold(k) for k in SITING_WEIGHTS)
        if not math.isclose(siting, 1.0, abs_tol=1e-9):
            msg = f"`thresholds.siting_weight_*` must add up to 1, got {siting:g}"
            raise ConfigError(msg)

    def _check_scores(self) -> None:
        """Counts that must be whole (parcels in a group, parcels drawn inline) and class floors falling A to C."""
        if self.threshold("eval_rank_quotas") not in (0.0, 1.0):
            quotas = self.threshold("eval_rank_quotas")
            msg = f"`thresholds.eval_rank_quotas` must be 0 (absolute scores) or 1 (rank quotas), got {quotas:g}"
            raise ConfigError(msg)
        if self.threshold("eval_method_zhejiang") not in (0.0, 1.0):
            zj = self.threshold("eval_method_zhejiang")
            msg = f"`thresholds.eval_method_zhejiang` must be 0 (the national method) or 1 (Zhejiang's), got {zj:g}"
            raise ConfigError(msg)
        shares = self.threshold("eval_rank_a_share") + self.threshold("eval_rank_d_share")
        if shares > 1:
            msg = f"`thresholds.eval_rank_a_share` and `eval_rank_d_share` must add up to at most 1, got {shares:g}"
            raise ConfigError(msg)
        region = self.threshold("investment_region_class")
        if region not in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0):
            msg = f"`thresholds.investment_region_class` must be 1–7 (一类–七类) or 0 (not set), got {region:g}"
            raise ConfigError(msg)
        if self.threshold("siting_group_max_parcels") not in (1.0, 2.0, 3.0):
            value = self.threshold("siting_group_max_parcels")
            msg = f"`thresholds.siting_group_max_parcels` must be 1, 2 or 3, got {value:g}"
            raise ConfigError(msg)
        inline = self.threshold("map_max_inline_parcels")
        if inline != int(inline):
            msg = f"`thresholds.map_max_inline_parcels` must be a whole number of parcels, got {inline:g}"
            raise ConfigError(msg)
        floors = [self.threshold(f"eval_class_{c}_min_score") for c in "abc"]
        if not floors[0] >= floors[1] >= floors[2]:
            msg = f"class floors must fall from A to C, got A {floors[0]:g}, B {floors[1]:g}, C {floors[2]:g}"
            raise ConfigError(msg)

    def threshold(self, key: str) -> float:
        """A threshold, the park's value or the national default."""
        if key not in DEFAULT_THRESHOLDS:
            msg = f"`{key}` is not a known threshold; known: {', '.join(DEFAULT_THRESHOLDS)}"
            raise ConfigError(msg)
        return float(self.thresholds.get(key, DEFAULT_THRESHOLDS[key]))

    def with_changes(self, **changes: Any) -> ParkConfig:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON-ready values, every threshold included (the park's or the default)."""
        data = asdict(self)
        data["checklist"] = list(self.checklist)
        data["leading_industries"] = [
            {"name_zh": li.name_zh, "name_en": li.name_en, "codes": list(li.codes)} for li in self.leading_industries
        ]
        data["thresholds"] = {**DEFAULT_THRESHOLDS, **self.thresholds}
        data["networks"] = {k: dict(v) for k, v in self.networks.items()}
        data["unit_costs"] = dict(self.unit_costs)
        return data

    def to_json(self) -> str:
        """The configuration as JSON text (:meth:`to_dict`), keys sorted."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParkConfig:
        """Build from a dict (e.g. parsed JSON), naming any unknown or missing key."""
        known = {
            "park_id",
            "name",
            "name_en",
            "crs_epsg",
            "checklist",
            "leading_industries",
            "thresholds",
            "networks",
            "dem",
            "unit_costs",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"unknown configuration key(s) {unknown}; allowed: {', '.join(sorted(known))}"
            raise ConfigError(msg)
        missing = [k for k in ("park_id", "name", "crs_epsg") if k not in data]
        if missing:
            msg = f"configuration lacks {missing}"
            raise ConfigError(msg)
        kwargs = dict(data)
        checklist = kwargs.get("checklist") or CHECKLIST_PRESETS["七通一平"]
        kwargs["checklist"] = checklist_from_preset(checklist) if isinstance(checklist, str) else tuple(checklist)
        leading = kwargs.get("leading_industries") or ()
        if not isinstance(leading, list | tuple) or not all(isinstance(li, Mapping) for li in leading):
            msg = f"`leading_industries` must be a list of {{name_zh, codes}} objects, got {leading!r}"
            raise ConfigError(msg)
        kwargs["leading_industries"] = tuple(
            LeadingIndustry(
                name_zh=str(li.get("name_zh", "")),
                codes=tuple(li.get("codes") or ()),
                name_en=str(li.get("name_en", "")),
            )
            for li in leading
        )
        nets = {k: dict(v) for k, v in _NETWORK_DEFAULTS.items()}
        given_nets = kwargs.get("networks") or {}
        if not isinstance(given_nets, Mapping):
            msg = f"`networks` must be an object by network name, got {given_nets!r}"
            raise ConfigError(msg)
        for net, values in given_nets.items():
            if values is not None and not isinstance(values, Mapping):
                msg = f"`networks.{net}` must be an object, got {values!r}"
                raise ConfigError(msg)
            nets.setdefault(net, {}).update(values or {})
        kwargs["networks"] = nets
        thresholds = kwargs.get("thresholds") or {}
        if not isinstance(thresholds, Mapping):
            msg = f"`thresholds` must be an object, got {thresholds!r}"
            raise ConfigError(msg)
        kwargs["thresholds"] = {**DEFAULT_THRESHOLDS, **thresholds}
        kwargs["unit_costs"] = kwargs.get("unit_costs") or {}
        try:
            kwargs["crs_epsg"] = int(kwargs["crs_epsg"])
        except (TypeError, ValueError):
            msg = f"`crs_epsg` must be an EPSG number, got {kwargs['crs_epsg']!r}"
            raise ConfigError(msg) from None
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> ParkConfig:
        """Build from JSON text (:meth:`from_dict`)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"park configuration is not valid JSON: {exc}"
            raise ConfigError(msg) from None
        return cls.from_dict(data)


def _nonnegative(value: object) -> bool:
    """A finite number ≥ 0 (booleans are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def checklist_name(checklist: tuple[str, ...]) -> str:
    """The preset's name of a checklist (``七通一平``), or ``园区清单`` for a park's own list."""
    return next((name for name, items in CHECKLIST_PRESETS.items() if tuple(items) == tuple(checklist)), "园区清单")


def checklist_from_preset(name: str) -> tuple[str, ...]:
    """The items of a named checklist: ``三通一平``, ``五通一平`` or ``七通一平``."""
    try:
        return CHECKLIST_PRESETS[name]
    except KeyError:
        msg = (
            f"checklist {name!r} is not a known preset; known: {', '.join(CHECKLIST_PRESETS)}; "
            f"or list the items ({', '.join(CHECKLIST_ITEMS)}). 九通一平 needs cable-TV and broadband "
            "layers the planner does not model yet"
        )
        raise ConfigError(msg) from None
