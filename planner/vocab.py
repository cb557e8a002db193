"""The words every layer of the planner shares, each written once.

Checklist items of 七通一平, the networks with their labels and capacity units, the source
kinds, the land-supply statuses and modes, the causes of delay of art. 8 (the government, force majeure),
the idle-land rules, the per-mu classes and the industrial land classes. Each vocabulary maps
a stored code to its Chinese and English label: ``STATUSES["reserved"][0] == "储备"``.

This module sits at the bottom of the package (it imports nothing of the planner), so the
field dictionaries, the analyses, the maps, the API and the CLI all read the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "BOUNDARY_ORIGINS",
    "CAPACITY_COLUMN",
    "CAPACITY_UNITS",
    "CHECKLIST_ITEMS",
    "DELAY_CAUSES",
    "DISPOSALS",
    "DISPOSAL_STAGES",
    "EVAL_CLASSES",
    "IDLE_RULES",
    "LAND_CLASSES",
    "NETWORKS",
    "NETWORK_ITEMS",
    "NETWORK_LAYERS",
    "NETWORK_OF_KIND",
    "ROAD_CLASSES",
    "SOURCE_KINDS",
    "STARTED_STATUSES",
    "STATUSES",
    "SUPPLIED_STATUSES",
    "SUPPLY_MODES",
    "WORK_KINDS",
    "Choices",
    "capacity_unit",
    "network_label",
]

Choices = Mapping[str, tuple[str, str]]
"""Allowed codes, each with its Chinese and English label."""


def _choices(**items: tuple[str, str]) -> Choices:
    return MappingProxyType(dict(items))


# --- land supply ----------------------------------------------------------------------------------------------

STATUSES: Choices = _choices(
    planned=("规划", "planned"),
    reserved=("储备", "reserved (banked, can be supplied)"),
    supplied=("已供", "supplied"),
    under_construction=("在建", "under construction"),
    in_production=("投产", "in production"),
)
"""Land-supply lifecycle, in order: 规划 → 储备 → 已供 → 在建 → 投产."""

SUPPLIED_STATUSES: tuple[str, ...] = ("supplied", "under_construction", "in_production")
"""Statuses of supplied land (已供, 在建, 投产): it has a holder and a contract, and may fall idle."""

STARTED_STATUSES: tuple[str, ...] = ("under_construction", "in_production")
"""Statuses of land started on (在建, 投产): it has an actual start date and draws on the networks."""

SUPPLY_MODES: Choices = _choices(
    grant=("出让", "grant (paid transfer of the use right)"),
    allocation=("划拨", "allocation"),
    lease=("租赁", "lease"),
)

DELAY_CAUSES: Choices = _choices(
    land_not_delivered=("未按约定交付土地", "land not delivered as agreed"),
    plan_revised=("规划依法修改", "land-use or urban plan revised"),
    policy_change=("国家政策调整", "national policy change of planning or building conditions"),
    petition=("群众信访事项", "unresolved petitions about the land"),
    military_or_heritage=("军事管制、文物保护", "military control or cultural-relic protection"),
    other_government=("政府其他行为", "other action of the government or its departments"),
    force_majeure=("不可抗力", "force majeure: natural disaster and the like"),
)
"""Causes of delay of 闲置土地处置办法 (2012) art. 8: the government's (¶1, items 1–6) and force majeure (¶2).

Art. 8 ¶2 (因自然灾害等不可抗力导致土地闲置的，依照前款规定办理) treats force majeure as ¶1
treats the government's causes: the land is still idle land, disposed of under arts. 12–13,
with no idle-land fee and no reclamation without compensation (art. 14 applies 除本办法第八条规定情形外).
"""

IDLE_RULES: Choices = _choices(
    not_started=("超期未动工", "not started one full year after the agreed start date"),
    halted=("开发不足且中止", "started, under 1/3 developed or 25% invested, halted one full year"),
)
"""The two kinds of idle land of 闲置土地处置办法 (2012) art. 2."""

DISPOSALS: Choices = _choices(
    extend=("延长动工开发期限", "start deadline extended (at most one year, art. 12 (一))"),
    adjust=("调整土地用途、规划条件", "land use or planning conditions adjusted (art. 12 (二))"),
    temporary_use=("政府安排临时使用", "temporary use arranged by the government (at most two years, art. 12 (三))"),
    paid_reclaim=("协议有偿收回", "use right taken back for payment by agreement (art. 12 (四))"),
    swap=("置换土地", "land swapped (art. 12 (五))"),
    levy_fee=("征缴土地闲置费", "idle-land fee levied (art. 14 (一))"),
    reclaim=("无偿收回", "use right taken back without compensation (art. 14 (二))"),
)
"""Disposals of idle land, 闲置土地处置办法 (2012) arts. 12 and 14: a parcel's ``disposal``."""

DISPOSAL_STAGES: Choices = _choices(
    to_investigate=("待调查", "idle by the rules; no investigation notice recorded (art. 5)"),
    investigating=("调查中", "investigation notice issued; not yet determined (arts. 5–7)"),
    determined=("已认定待处置", "determined idle (闲置土地认定书, art. 9); no disposal recorded"),
    fee_due=("闲置费未缴清", "idle-land fee owed and not fully paid (art. 14 (一))"),
    fee_paid=("已缴闲置费", "idle-land fee paid; still idle, reclaimable after two years (art. 14)"),
    in_disposal=("处置实施中", "a disposal of art. 12 under way; its new start date or term not yet passed"),
    overdue=("处置期满未动工", "the new start date or term set by the disposal passed without a start (art. 12)"),
    reclaimable=("可无偿收回", "idle two full years, holder-caused: reclaimable without compensation (art. 14 (二))"),
    closed=("已结案", "reclaimed or swapped, or started with nothing owed"),
)
"""Where a parcel stands in the idle-land procedure of 闲置土地处置办法 (2012) arts. 5–14."""

EVAL_CLASSES: Choices = _choices(
    A=("优先发展", "priority development"),
    B=("提升发展", "upgrade"),
    C=("调整转型", "restructure"),
    D=("整治淘汰", "rectify or phase out"),
)
"""Per-mu evaluation classes (亩均论英雄), best first."""

LAND_CLASSES: tuple[str, ...] = ("M1", "M2", "M3", "W1", "W2", "W3")
"""Industrial (一/二/三类工业用地) and logistics (一/二/三类物流仓储用地) land classes, lightest first in each."""

# --- 七通一平 and the networks -----------------------------------------------------------------------------------

NETWORK_ITEMS: tuple[str, ...] = ("road", "water", "drainage", "power", "telecom", "gas", "heat")
"""The seven connections of 七通一平, each with a network layer."""

CHECKLIST_ITEMS: Choices = _choices(
    road=("通路", "road"),
    water=("通给水", "water supply"),
    drainage=("通排水", "drainage"),
    power=("通电", "power"),
    telecom=("通电信", "telecom"),
    gas=("通燃气", "gas"),
    heat=("通热力", "heat"),
    leveled=("场地平整", "site leveled"),
)
"""Every item a park's checklist may hold: the seven connections and 场地平整."""

NETWORKS: Choices = _choices(
    road=("道路", "road"),
    water=("给水", "water supply"),
    drainage=("排水", "drainage"),
    power=("电力", "power"),
    telecom=("通信", "telecom"),
    gas=("燃气", "gas"),
    heat=("热力", "heat"),
)
"""The networks by their layer names (``road`` → ``road_lines``), with the labels of their lines."""

NETWORK_LAYERS: Choices = _choices(
    road=("道路图层", "road layer"),
    water=("给水管网图层", "water-supply network layer"),
    drainage=("排水管网图层", "drainage network layer"),
    power=("电力线路图层", "power-line layer"),
    telecom=("通信线路图层", "telecom-line layer"),
    gas=("燃气管网图层", "gas network layer"),
    heat=("热力管网图层", "heat network layer"),
)
"""Each network's line layer by what it holds — roads, pipes (管网) or lines (线路) — as a reason names it."""

SOURCE_KINDS: Choices = _choices(
    gateway=("高速出入口", "highway gateway"),
    substation=("变电站", "substation"),
    waterworks=("水厂", "waterworks"),
    sewage_plant=("污水处理厂", "sewage plant"),
    gas_station=("燃气门站", "gas station"),
    telecom_exchange=("通信局所", "telecom exchange"),
    heat_plant=("热源厂", "heat plant"),
)

NETWORK_OF_KIND: Mapping[str, str] = MappingProxyType(
    {
        "gateway": "road",
        "substation": "power",
        "waterworks": "water",
        "sewage_plant": "drainage",
        "gas_station": "gas",
        "telecom_exchange": "telecom",
        "heat_plant": "heat",
    }
)
"""The network each kind of source feeds."""

CAPACITY_COLUMN: Mapping[str, str | None] = MappingProxyType(
    {
        "road": None,
        "power": "capacity_kva",
        "water": "capacity_m3d",
        "drainage": "capacity_m3d",
        "gas": "capacity_nm3h",
        "heat": "capacity_mw",
        "telecom": "capacity_ports",
    }
)
"""The column that holds a source's capacity, by network (roads have none)."""

CAPACITY_UNITS: Choices = _choices(
    power=("kVA", "kVA"),
    water=("m³/日", "m³/d"),
    drainage=("m³/日", "m³/d"),
    gas=("Nm³/h", "Nm³/h"),
    heat=("MW", "MW"),
    telecom=("端口", "ports"),
)
"""The unit a network's capacity and loads are stated in (Chinese, English); roads have none."""

WORK_KINDS: Choices = _choices(
    line=("管线/道路", "line"),
    upgrade=("源点扩容", "source upgrade"),
    leveling=("场地平整", "leveling"),
)
"""The kinds of works (工程) of a build-out plan: a planned line of any network, a source upgrade, leveling."""

ROAD_CLASSES: Choices = _choices(
    highway=("高速公路", "highway"),
    arterial=("主干路", "arterial road"),
    secondary=("次干路", "secondary road"),
    branch=("支路", "branch road"),
    link=("连接线", "link road"),
)
"""Road classes, highest first."""

BOUNDARY_ORIGINS: Choices = _choices(
    imported=("导入", "imported"),
    hull=("宗地凹包", "concave hull of the parcels"),
)
"""Where a park boundary (园区四至) came from."""


def _pick(choices: Choices, code: str, lang: str) -> str:
    return choices[code][0 if lang == "zh" else 1]


def network_label(network: str, lang: str = "zh") -> str:
    """The label of a network in ``lang`` (``zh`` or ``en``).

    >>> network_label("power"), network_label("power", "en")
    ('电力', 'power')
    """
    return _pick(NETWORKS, network, lang)


def capacity_unit(network: str, lang: str = "zh") -> str:
    """The unit of a network's capacity in ``lang``.

    >>> capacity_unit("water"), capacity_unit("water", "en")
    ('m³/日', 'm³/d')
    """
    return _pick(CAPACITY_UNITS, network, lang)
