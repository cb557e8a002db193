"""The demo park's planning districts: where each lies, its zoning, parcel sizes and typical enterprises.

The districts are zoned for the park's three leading industries (装备制造, 电子信息, 新能源汽车),
a heavy-industry (三类) district and logistics by the interchange. Each district also gives
the ranges its records are drawn from: parcel size, energy, power and water use, floor-area
ratio, building coverage, investment and land price per mu.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.config import LeadingIndustry

__all__ = ["DISTRICTS", "LEADING", "District", "district_of"]

LEADING = (
    LeadingIndustry("装备制造", ("C34", "C35"), "equipment manufacturing"),
    LeadingIndustry("电子信息", ("C39",), "electronics and information"),
    LeadingIndustry("新能源汽车", ("C36", "C384"), "new-energy vehicles"),
)
"""The park's leading industries (主导产业), each zoned a district."""


@dataclass(frozen=True)
class District:
    """A planning district: its zoning, land use, parcel sizes and typical enterprises."""

    key: str
    name: str
    land_use: str
    zone: str
    classes: tuple[str, ...]
    words: tuple[str, ...]
    size_mu: tuple[float, float]
    tce_per_wan: tuple[float, float]
    kva_mu: tuple[float, float]
    water_mu: tuple[float, float]
    far: tuple[float, float]
    coverage: tuple[float, float]
    invest_mu: tuple[float, float]
    price_mu: tuple[float, float]
    output_scale: float = 1.0
    """Typical output and tax relative to the park's per-mu floors (logistics earns less per mu)."""


DISTRICTS = {
    "equipment": District(
        "equipment",
        "装备制造区",
        "100102",
        "C34,C35",
        ("C3421", "C3441", "C3511", "C3491"),
        ("精密机械", "智能装备", "重工机械", "液压科技"),
        (40, 320),
        (0.03, 0.08),
        (15, 35),
        (1, 3),
        (0.8, 1.4),
        (0.40, 0.55),
        (250, 450),
        (18, 26),
    ),
    "electronics": District(
        "electronics",
        "电子信息区",
        "100101",
        "C39,C40",
        ("C3973", "C3976", "C3982"),
        ("电子科技", "光电", "半导体", "微电子"),
        (12, 110),
        (0.02, 0.05),
        (25, 60),
        (2, 6),
        (1.2, 2.2),
        (0.35, 0.50),
        (350, 700),
        (20, 30),
    ),
    "vehicles": District(
        "vehicles",
        "新能源汽车区",
        "100102",
        "C36,C384",
        ("C3612", "C3670", "C3841"),
        ("新能源汽车", "汽车零部件", "动力电池", "电驱科技"),
        (250, 800),
        (0.03, 0.07),
        (20, 45),
        (1.5, 4),
        (0.8, 1.3),
        (0.45, 0.60),
        (300, 600),
        (18, 26),
    ),
    "heavy": District(
        "heavy",
        "化工建材区",
        "100103",
        "C26,C30",
        ("C2614", "C3021"),
        ("化工", "新材料", "建材", "精细化学"),
        (50, 220),
        (0.3, 0.8),
        (30, 80),
        (4, 12),
        (0.6, 1.0),
        (0.35, 0.50),
        (300, 600),
        (16, 22),
    ),
    "logistics": District(
        "logistics",
        "物流园区",
        "110101",
        "G59",
        ("G5920",),
        ("物流", "供应链", "仓储"),
        (60, 260),
        (0.01, 0.02),
        (4, 10),
        (0.2, 0.6),
        (0.6, 1.2),
        (0.40, 0.60),
        (150, 300),
        (25, 35),
        output_scale=0.45,
    ),
}
"""The districts by key."""


def district_of(u: float, v: float) -> str:
    """The key of the district at local plan metres ``(u, v)`` (east, north)."""
    if u < 520 and 900 <= v <= 2000:
        return "logistics"
    if u < 1600:
        return "equipment"
    if u < 3200:
        return "electronics"
    if u >= 3750 and 900 <= v <= 2000:
        return "heavy"
    return "vehicles"
