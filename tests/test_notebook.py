"""The walkthrough notebook runs top to bottom, headless, and says what the park it built holds."""

from __future__ import annotations

import html
import os
import re
import sqlite3
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"
CELL_TIMEOUT_S = 300

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook executed in a kernel of this interpreter, from an empty working folder."""
    cwd = tmp_path_factory.mktemp("cwd")  # no relative path of the notebook can resolve from here
    work = tmp_path_factory.mktemp("walkthrough")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env = {
        **os.environ,
        # the planner of this checkout, whatever is installed in the environment
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "PLANNER_WALKTHROUGH_DIR": str(work),
    }
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    start = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError, naming the cell, on any error
    seconds = time.perf_counter() - start
    print(f"walkthrough notebook ran in {seconds:.1f} s", file=sys.stderr)
    return nb, work, cwd


def outputs(nb, kind: str) -> list[dict]:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == kind]


def stdout(nb) -> str:
    return "".join(o.text for o in outputs(nb, "stream") if o.name == "stdout")


def test_the_stored_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code), (
        "store the notebook without outputs (Kernel → Restart & Clear Output, then save)"
    )


def test_it_runs_without_errors_or_warnings(executed):
    nb, _, cwd = executed
    assert outputs(nb, "error") == []
    errors = [o.text for o in outputs(nb, "stream") if o.name == "stderr"]
    assert errors == []  # a warning printed by any cell fails the notebook
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert list(cwd.iterdir()) == []  # it writes into its own folder, never where it is run from


def test_the_ready_count_printed_is_the_stored_one(executed):
    nb, work, _ = executed
    found = re.search(r"熟地 ready parcels: (\d+) of (\d+)", stdout(nb))
    assert found
    with sqlite3.connect(work / "demo" / "park.gpkg") as db:  # read the GeoPackage without the planner
        ready, total = db.execute("SELECT SUM(ready = 1), COUNT(*) FROM parcels").fetchone()
    assert (int(found[1]), int(found[2])) == (ready, total)
    assert 0 < ready < total


def test_the_idle_land_is_the_stored_one(executed):
    nb, work, _ = executed
    found = re.search(r"idle parcels as of 2026-06-30: (\d+), 闲置费 fees ([\d,.]+) 万元", stdout(nb))
    assert found
    with sqlite3.connect(work / "demo" / "park.gpkg") as db:
        count, fees = db.execute(
            "SELECT COUNT(*), SUM(idle_fee_wan) FROM parcels WHERE idle_rule IS NOT NULL"
        ).fetchone()
    assert int(found[1]) == count > 0
    assert float(found[2].replace(",", "")) == pytest.approx(fees, abs=0.05)
    assert "same as the stored columns: True" in stdout(nb)


def test_the_txt_read_back_has_every_exported_parcel(executed):
    nb, work, _ = executed
    text = stdout(nb)
    exported = re.search(r"TXT: (\d+) 宗 parcels", text)
    back = re.search(r"TXT 读回 read back: (\d+) parcels, errors: 0", text)
    assert exported
    assert back
    with sqlite3.connect(work / "demo" / "park.gpkg") as db:
        (reserved,) = db.execute("SELECT COUNT(*) FROM parcels WHERE status = 'reserved'").fetchone()
    assert int(exported[1]) == int(back[1]) == reserved > 0
    folder = work / "报自然资源局"
    assert (folder / "储备地块.txt").is_file()
    assert {p.suffix for p in folder.glob("储备地块.*")} >= {".txt", ".shp", ".shx", ".dbf", ".prj", ".cpg"}
    # the TXT as written: one `…,@` line per parcel, in GBK
    lines = (folder / "储备地块.txt").read_text(encoding="gbk").splitlines()
    assert sum(line.endswith(",@") for line in lines) == reserved


def test_the_match_lists_candidates(executed):
    nb, _, _ = executed
    found = re.search(r"项目 project: (\S+) \((C\d+)\), (\d+) 个候选 candidates", stdout(nb))
    assert found
    assert found[1] == "智能传感器模组项目"
    assert int(found[3]) > 0


def test_the_map_is_shown_inline_and_needs_no_network(executed):
    nb, _, _ = executed
    maps = [o for o in outputs(nb, "execute_result") if "leaflet" in o.data.get("text/html", "")]
    assert len(maps) == 1
    page = html.unescape(maps[0].data["text/html"])  # the map is an iframe's srcdoc
    assert "L.map(" in page or "L.map (" in page
    assert not re.search(r"<script[^>]*\ssrc\s*=\s*[\"']?(https?:)?//", page)
    assert not re.search(r"<link[^>]*\shref\s*=\s*[\"']?(https?:)?//", page)
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", page)
    assert '"basemap":"none","fixed":true' in page  # it opens on no basemap: no tile is asked for
    assert len(set(re.findall(r"341103\d{6}GB\d{5}", page))) > 400  # the demo's parcels, by 宗地代码
