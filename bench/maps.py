"""The park map at 1,000, 10,000 and 100,000 parcels: HTML size and time to first draw in headless Chromium.

    python -m bench.maps --parcels 1000 10000 100000

Each park (``bench.store.synthetic_parcels``, readiness from the declared values) is written
to a GeoPackage and served by the API (uvicorn in a thread); Debian's Chromium, driven by
Playwright with no network but the server, opens ``/`` in a fresh context (no HTTP cache)
each time. "First draw" is ``window.plannerFirstDraw``, ``performance.now()`` in the page
(milliseconds from the start of navigation) after the parcels are painted: for inline
maps two animation frames after the map's script ran; for tiled maps two frames after
VectorGrid's ``load`` event (every tile in view fetched, decoded and drawn).

Runs: *cold* is the server's first answer (it builds the map: network model, per-mu
classes, HTML; for tiles also the tile index and every tile in view); *tiles cut anew*
keeps the HTML but drops the cut tiles (as after an edit of a parcel, before anyone has
looked); *cold browser* is a Chromium just started on an empty profile (no HTTP cache, no
compiled-code cache) opening the page the server has made; *warm* is everything kept. The
peer of the page's data: as the server made it before (parcels read again, the network
model, the per-mu classes made for the page alone), in the same run. Goal (issue 7): 100,000 parcels in under 5 MB of
HTML, drawn in under 3 s.
"""

from __future__ import annotations

import argparse
import resource
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import uvicorn

from bench.store import synthetic_parcels
from planner.api import create_app
from planner.config import ParkConfig
from planner.store import create_park

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}
GOAL_BYTES, GOAL_S = 5_000_000, 3.0


def make_park(n: int, folder: Path, *, inline_limit: int):
    from planner.analysis import update_readiness

    config = ParkConfig(park_id=f"BENCH{n}", name=f"基准园区 {n:,} 宗", crs_epsg=4548)
    config = config.with_changes(thresholds={**config.thresholds, "map_max_inline_parcels": inline_limit})
    store = create_park(folder / f"park-{n}.gpkg", config)
    t = time.perf_counter()
    store.write_parcels(synthetic_parcels(n), by="bench")
    update_readiness(store, by="bench")  # no network layers: readiness from the declared values
    return store, time.perf_counter() - t


def serve(app) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def open_map(browser, url: str, *, context=None) -> dict:
    """Open the map in a fresh context (or ``context``: a new browser's own); what the page measured."""
    context = context or browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.route("http*://**", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t = time.perf_counter()
    page.goto(url, timeout=600_000)
    page.wait_for_function("() => window.plannerFirstDraw !== undefined", timeout=600_000, polling=50)
    wall = time.perf_counter() - t
    out = page.evaluate(
        """() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const tiles = performance.getEntriesByType('resource').filter(e => e.name.includes('.mvt'));
        const layer = window.plannerLayers.parcels;
        return {first_draw_ms: window.plannerFirstDraw, html_ms: nav.responseEnd, html_bytes: nav.decodedBodySize,
                drawn: window.plannerMeta.drawn === 'tiles' ? layer.plannerDrawn() :
                       (layer ? layer.getLayers().length : 0),
                zoom: window.plannerMap.getZoom(), tiles: tiles.length,
                tile_bytes: tiles.reduce((s, e) => s + e.encodedBodySize, 0),
                tile_max_ms: tiles.reduce((m, e) => Math.max(m, e.duration), 0),
                heap_mb: performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null};
        }"""
    )
    out["wall_s"] = wall
    out["errors"] = errors
    context.close()
    return out


def cold_browser(p, url: str) -> dict:
    """Open the map in a Chromium just started on an empty profile (no HTTP cache, no compiled-code cache)."""
    with tempfile.TemporaryDirectory() as profile:
        t = time.perf_counter()
        context = p.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", args=FLAGS, viewport=VIEWPORT, locale="zh-CN"
        )
        out = open_map(None, url, context=context)
        out["start_s"] = time.perf_counter() - t - out["wall_s"]
        return out


def page_data_times(state) -> tuple[float, float]:
    """What the page shows of the park, made as the server makes it now and as it did before (seconds each).

    Before: the parcels read again from the store, the network model run (sources' loads, disagreements),
    readiness's freshness and the per-mu classes made for the page alone. Now: the server's parcels, classes
    and freshness, and (a tiled page of a park without sources) the disagreements from the stored columns.
    """
    from planner.analysis import update_readiness
    from planner.api.routes.page import page_data
    from planner.maps import MapData

    for key in [k for k in state.derived if k in ("eval_class", "readiness_state", "readiness_run")]:
        del state.derived[key]
    t = time.perf_counter()
    page_data(state)
    now = time.perf_counter() - t
    t = time.perf_counter()
    MapData.from_store(state.store, run=update_readiness(state.store, by="map", write=False))
    return now, time.perf_counter() - t


def tile_times(state, zoom: int, bounds) -> tuple[int, float, float, int]:
    """Cut the tiles covering the park at ``zoom`` with a fresh index: count, total s, slowest s, bytes."""
    from planner.api.routes.tiles import parcel_tiles
    from planner.maps.tiles import lonlat_to_world

    state.derived.pop("tiles:wgs84", None)
    tiles = parcel_tiles(state)
    w, s, e, n = bounds
    (u0, u1), (v0, v1) = lonlat_to_world(np.array([w, e]), np.array([n, s]))
    k = 2**zoom
    times, size = [], 0
    for x in range(int(u0 * k), int(u1 * k) + 1):
        for y in range(int(v0 * k), int(v1 * k) + 1):
            t = time.perf_counter()
            size += len(tiles.encode(zoom, x, y))
            times.append(time.perf_counter() - t)
    return len(times), sum(times), max(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--inline-up-to", type=int, default=10_000, help="parks up to this size are also drawn inline")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows, sizes = [], {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for n in args.parcels:
            modes = (["inline"] if n <= args.inline_up_to else []) + (["tiles"] if n >= 10_000 else [])
            for mode in modes:
                store, build_s = make_park(n, Path(tmp) / mode, inline_limit=n if mode == "inline" else 0)
                print(f"{n:,} parcels ({mode}): park written and readiness computed in {build_s:.1f} s", flush=True)
                app = create_app(store)
                url, server, thread = serve(app)
                state = next(iter(app.state.parks.values()))
                page = f"{url}/?basemap=none"
                runs = [("cold", open_map(browser, page))]
                if mode == "tiles":
                    for key in [k for k in state.derived if k.startswith("tiles:")]:
                        del state.derived[key]
                    runs.append(("tiles cut anew", open_map(browser, page)))
                runs.append(("cold browser", cold_browser(p, page)))
                runs.append(("warm", open_map(browser, page)))
                runs.append(("warm", open_map(browser, page)))
                for run, got in runs:
                    rows.append((n, mode, run, got))
                    print(
                        f"  {run:<15} HTML {got['html_bytes'] / 1e6:6.2f} MB at {got['html_ms'] / 1e3:6.2f} s; "
                        f"first draw {got['first_draw_ms'] / 1e3:6.2f} s (wall {got['wall_s']:.2f} s); "
                        f"{got['drawn']:,} parcels drawn at zoom {got['zoom']}; "
                        f"{got['tiles']} tiles, {got['tile_bytes'] / 1e6:.2f} MB, slowest {got['tile_max_ms']:.0f} ms; "
                        f"page heap {got['heap_mb'] or 0:.0f} MB"
                        + (f"; errors {got['errors']}" if got["errors"] else ""),
                        flush=True,
                    )
                sizes[(n, mode)] = runs[-1][1]["html_bytes"]
                started = [got["start_s"] for run, got in runs if run == "cold browser"]
                print(f"  the cold browser took {started[0]:.2f} s to start on its empty profile (not in first draw)")
                if mode == "tiles":
                    now, before = page_data_times(state)
                    print(f"  the page's data (server, after a change): {now:.2f} s; before (parcels read again, "
                          f"network model, classes for the page alone): {before:.2f} s; {before / now:.1f}× faster",
                          flush=True)  # fmt: skip
                if mode == "tiles":
                    zoom = runs[-1][1]["zoom"]
                    w, s, e, nn = store.read_parcels().to_crs(4326).total_bounds
                    for z in (zoom, zoom + 2):
                        count, total, slowest, size = tile_times(state, z, (w, s, e, nn))
                        print(f"  cutting the {count} tiles over the park at zoom {z}: {total:.2f} s "
                              f"({1e3 * total / count:.0f} ms a tile, slowest {1e3 * slowest:.0f} ms), "
                              f"{size / 1e6:.2f} MB", flush=True)  # fmt: skip
                server.should_exit = True
                thread.join(timeout=10)
                store.close()
        browser.close()
    if (1_000, "inline") in sizes and (10_000, "inline") in sizes:
        per = (sizes[(10_000, "inline")] - sizes[(1_000, "inline")]) / 9_000
        base = sizes[(1_000, "inline")] - 1_000 * per
        projected = (base + 1e5 * per) / 1e6
        print(f"inline HTML: {per:,.0f} bytes a parcel; 100,000 inline would be about {projected:.0f} MB")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory (bench and server, not Chromium): {peak:,.0f} MiB")
    big = [(run, got) for n, mode, run, got in rows if n == 100_000 and mode == "tiles"]
    if big:
        html = max(got["html_bytes"] for _, got in big)
        for run, got in big:
            met = html < GOAL_BYTES and got["first_draw_ms"] / 1e3 < GOAL_S
            print(f"goal 100,000 ({run}): HTML {html / 1e6:.2f} MB < 5 MB and first draw "
                  f"{got['first_draw_ms'] / 1e3:.2f} s < 3 s: {'met' if met else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
