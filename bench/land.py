"""Idle land, per-mu evaluation and park indicators on N synthetic parcels.

    python -m bench.land --parcels 10000 100000
    python -m bench.land --province --parcels 10000 100000 1000000   # parks across Gauss–Krüger zones

Baseline: the idle rule "not started one full year after the agreed start date" done the
naive way, one parcel at a time with Python dates, on the same parcels.

``--province``: the parcels of :func:`bench.synthetic.province` (parks of 2,000 parcels in
three zones, each validated in its own) instead of one grid; the indicators are then per park.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date

import numpy as np
import pandas as pd

from bench.store import synthetic_parcels, timed
from bench.synthetic import province, validated
from planner.config import ParkConfig
from planner.parcels.evaluation import evaluate
from planner.parcels.evaluation_text import explain_one
from planner.parcels.idle import classify_idle
from planner.parcels.indicators import park_indicators
from planner.parcels.validation import validate_parcels

AS_OF = date(2026, 6, 30)


def realistic(n: int) -> pd.DataFrame:
    frame = validate_parcels(synthetic_parcels(n), crs_epsg=4548, park_id="BENCH").parcels
    rng = np.random.default_rng(2)
    supplied = frame["status"].isin(["supplied", "under_construction", "in_production"]).to_numpy()
    agreed = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    frame["contract_date"] = pd.Series(agreed - pd.Timedelta(days=120)).where(supplied)
    frame["agreed_start_date"] = pd.Series(agreed).where(supplied)
    started = (frame["status"] != "supplied").to_numpy() & supplied
    frame["actual_start_date"] = pd.Series(agreed + pd.Timedelta(days=30)).where(started)
    producing = (frame["status"] == "in_production").to_numpy()
    frame.loc[producing, "tax_wan"] = frame.loc[producing, "area_mu"] * rng.uniform(2, 40, producing.sum())
    frame.loc[producing, "energy_tce"] = frame.loc[producing, "output_wan"] / rng.uniform(2, 20, producing.sum())
    frame.loc[producing, "floor_area_m2"] = frame.loc[producing, "area_m2"] * rng.uniform(0.5, 1.6, producing.sum())
    frame["industry"] = np.where(supplied, "C3421", None)
    return frame


def naive_not_started(frame: pd.DataFrame) -> int:
    """The first idle rule, one parcel at a time, with Python dates."""
    count = 0
    for status, agreed, started in zip(
        frame["status"], frame["agreed_start_date"], frame["actual_start_date"], strict=True
    ):
        if status not in ("supplied", "under_construction", "in_production") or pd.isna(agreed):
            continue
        d = agreed.date()
        try:
            end = d.replace(year=d.year + 1)
        except ValueError:  # 29 February
            end = d.replace(year=d.year + 1, day=28)
        due = end.toordinal() + 1
        if due <= AS_OF.toordinal() and (pd.isna(started) or started.date().toordinal() >= due):
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--province", action="store_true", help="parks across zones (bench.synthetic)")
    parser.add_argument("--evaluation-only", action="store_true", help="only the per-mu evaluation and its peer")
    args = parser.parse_args()
    config = ParkConfig(park_id="BENCH", name="基准园区", crs_epsg=4548)
    print(f"{'parcels':>9} {'step':<40} {'median s':>9} {'baseline s':>11} {'ratio':>7}")
    for n in args.parcels:
        frame = validated(province(n)) if args.province else realistic(n)
        if not args.evaluation_only:
            idle = timed(lambda f=frame: classify_idle(f, AS_OF, config), args.repeat)
            naive = timed(lambda f=frame: naive_not_started(f), args.repeat)
            result = classify_idle(frame, AS_OF, config)
            assert (result.table["idle_rule"] == "not_started").sum() == naive_not_started(frame)
            print(
                f"{n:>9,} {'classify idle land (both rules, notes)':<40} {idle:9.3f} {naive:11.3f} {idle / naive:7.2f}"
            )
        ev = timed(lambda f=frame: evaluate(f, config), args.repeat)
        ev_one = timed(lambda f=frame: evaluate(f, config).to_frame("zh"), args.repeat)
        ev_both = timed(lambda f=frame: evaluate(f, config).table, args.repeat)
        before = ev + words_one_at_a_time(frame, config)
        for label, seconds in (
            ("per-mu evaluation (words on demand)", ev),
            ("per-mu evaluation + words in Chinese", ev_one),
            ("per-mu evaluation + words, zh and en", ev_both),
        ):
            print(f"{n:>9,} {label:<40} {seconds:9.3f} {before:11.3f} {seconds / before:7.3f}")
        if args.evaluation_only:
            continue
        ind = timed(lambda f=frame: park_indicators(f), args.repeat)
        parks = frame["park_id"].nunique()
        label = f"park indicators ({parks:,} parks)" if parks > 1 else "park indicators"
        print(f"{n:>9,} {label:<40} {ind:9.3f} {'—':>11} {'—':>7}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print("baseline: the not-started rule alone, one parcel at a time with Python dates (same count checked)")
    print(
        "baseline of the evaluation: the classes, then each parcel's explanation written one at a time in Python "
        f"in both languages, as before (timed on {WORDS_SAMPLE:,} parcels, extrapolated; the same texts checked)"
    )


WORDS_SAMPLE = 20_000


def words_one_at_a_time(frame: pd.DataFrame, config: ParkConfig) -> float:
    """Seconds the old way takes to write every evaluated parcel's explanation, Chinese and English, one by one."""
    result = evaluate(frame, config)
    classes = result.classes.reset_index()
    picks = np.sort(np.random.default_rng(0).choice(len(classes), min(WORDS_SAMPLE, len(classes)), replace=False))
    sample = classes.iloc[picks]
    bench = {k: v[picks] for k, v in result.benchmarks.items()} | {"coverage": result.coverage_min_pct}
    start = time.perf_counter()
    rows = list(sample.itertuples())
    words = {
        lang: [explain_one(row, bench, pos, lang, result.method) for pos, row in enumerate(rows)]
        for lang in ("zh", "en")
    }
    seconds = (time.perf_counter() - start) * len(classes) / max(len(sample), 1)
    ids = sample["parcel_id"].tolist()
    assert words["zh"] == result.explanations("zh", ids).tolist()
    assert words["en"] == result.explanations("en", ids).tolist()
    return seconds


if __name__ == "__main__":
    main()
