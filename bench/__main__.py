"""Run the benchmarks as one suite: ``python -m bench [NAME ...] [--quick]`` (``make bench``).

    python -m bench                      # every benchmark that needs no server, full sizes
    python -m bench --quick              # the same at small sizes (a few minutes)
    python -m bench store land siting    # only these
    python -m bench copy_park            # PostGIS (PLANNER_TEST_POSTGIS_URL): only when named
    python -m bench --list               # what there is

The full sizes are those of the issue: synthetic provinces of 10,000, 100,000 and
1,000,000 parcels (:mod:`bench.synthetic`: parks across three Gauss–Krüger zones), the
store at 10,000 and 100,000, readiness at 100,000 parcels, siting at 1,000,000. Each
benchmark runs in its own process, so that its peak memory is its own, and prints its
figures (median of several runs, peak resident memory, and where there is one the
baseline and the ratio). The suite prints the machine first and a summary last; it
exits non-zero when a benchmark failed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Benchmark:
    name: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    default: bool = True
    """Run when no name is given (False: needs a server)."""


BENCHMARKS = (
    Benchmark("synthetic", ("--parcels", "10000", "100000", "1000000"), ("--parcels", "10000")),
    Benchmark("store", ("--parcels", "10000", "100000"), ("--parcels", "10000", "--repeat", "1")),
    Benchmark(
        "land",
        ("--province", "--parcels", "10000", "100000", "1000000"),
        ("--province", "--parcels", "10000", "--repeat", "1"),
    ),
    Benchmark(
        "areas", ("--parcels", "10000", "100000", "1000000"), ("--parcels", "10000", "--repeat", "1", "--sample", "500")
    ),
    Benchmark("readiness", ("--parcels", "100000", "--sample", "10"), ("--parcels", "10000", "--sample", "5")),
    Benchmark(
        "siting",
        (),
        ("--parcels", "100000", "--assign-parcels", "10000", "--projects", "20", "--repeat", "3"),
    ),
    Benchmark(
        "buildout",
        ("--parcels", "100000", "--exact-parcels", "2000"),
        ("--parcels", "5000", "--exact-parcels", "400", "--peer-parcels", "2000", "--budget-wan", "5000"),
    ),
    # written on other branches: run with their own defaults (and --quick where they take it)
    Benchmark("api", (), ("--parcels", "20000", "--requests", "50"), default=False),  # needs PostGIS
    Benchmark("maps", (), ()),
    Benchmark("dem", (), ("--quick",)),  # the real SRTM window and a synthetic 1° raster, against peers
    Benchmark("load", (), ("--quick",), default=False),  # a server, 16 clients for 60 s per backend
    Benchmark("copy_park", ("--parcels", "10000", "100000"), ("--parcels", "10000"), default=False),
    # minutes at full size (a province of 200,000 parcels three ways): only when named
    Benchmark("province", (), ("--parcels", "20000", "--parks", "4", "--workers", "2"), default=False),
)
BY_NAME = {b.name: b for b in BENCHMARKS}


def available(bench: Benchmark) -> bool:
    return (ROOT / "bench" / f"{bench.name}.py").is_file()


def arguments(bench: Benchmark, quick: bool) -> list[str]:
    args = list(bench.quick if quick else bench.full)
    if quick and not args and "--quick" in (ROOT / "bench" / f"{bench.name}.py").read_text(encoding="utf-8"):
        args = ["--quick"]
    return args


def command(bench: Benchmark, quick: bool) -> list[str]:
    return [sys.executable, "-m", f"bench.{bench.name}", *arguments(bench, quick)]


def summary_line(bench: Benchmark) -> str:
    """The first line of the benchmark's docstring."""
    spec = importlib.util.find_spec(f"bench.{bench.name}")
    text = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    return text.split('"""')[1].strip().splitlines()[0] if text.count('"""') >= 2 else ""


def machine() -> list[str]:
    """The machine and the library versions the figures depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024**2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    lines = [
        f"machine: {os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}",
        f"python {platform.python_version()}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
    ]
    versions = []
    for dist in ("numpy", "pandas", "shapely", "geopandas", "pyogrio", "pyproj", "scipy", "networkx", "psycopg"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            continue
    try:
        import pyogrio
        import pyproj
        import shapely

        versions += [f"GEOS {shapely.geos_version_string}", f"GDAL {pyogrio.__gdal_version_string__}"]
        versions.append(f"PROJ {pyproj.proj_version_str}")
    except ImportError:
        pass
    lines.append("; ".join(versions))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BY_NAME)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, one or a few runs each")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--dry-run", action="store_true", help="print the commands and exit")
    args = parser.parse_args(argv)

    unknown = [n for n in args.names if n not in BY_NAME]
    if unknown:
        parser.error(f"no benchmark {', '.join(map(repr, unknown))}; there are {', '.join(BY_NAME)}")
    if args.list:
        for bench in BENCHMARKS:
            state = "" if available(bench) else " (not on this branch)"
            extra = "" if bench.default else " (only when named)"
            print(f"{bench.name:<10} {summary_line(bench) if available(bench) else ''}{state}{extra}")
        return 0
    chosen = [BY_NAME[n] for n in args.names] if args.names else [b for b in BENCHMARKS if b.default]
    missing = [b.name for b in chosen if not available(b)]
    if args.names and missing:
        parser.error(f"{', '.join(missing)}: not on this branch (bench/<name>.py is missing)")
    chosen = [b for b in chosen if available(b)]
    if args.dry_run:
        for bench in chosen:
            print(" ".join(command(bench, args.quick)))
        return 0

    print(f"benchmarks ({'quick' if args.quick else 'full'}), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    for line in machine():
        print(line)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    results = []
    for bench in chosen:
        cmd = command(bench, args.quick)
        print(f"\n=== {bench.name}: python -m bench.{bench.name} {' '.join(cmd[3:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd, cwd=ROOT, env=env)
        results.append((bench.name, code, time.perf_counter() - start))
    print("\n=== summary")
    for name, code, seconds in results:
        print(f"{name:<10} {'ok' if code == 0 else f'FAILED (exit {code})':<16} {seconds:8.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
