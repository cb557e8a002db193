"""Many editors at once over real HTTP, on both backends: every edit answers 200 or 409, never a 5xx.

Eight editors edit the same three parcels as fast as they can (each a read of the version, then
a PATCH with ``If-Match``), while another client writes the same parcels with plain SQL (as QGIS
or psql would), so the server's writers meet each other and an outside writer. What must hold,
whatever the timing: no answer but 200 and 409; every 200 is one history row of that editor, and
no history row of an editor lacks its 200; each parcel holds the value of its last edit (the history
row with the highest version). Each answer is a version as stored: its ETag is at or after the edit's
own version, and its body holds what the history says the parcel held at that ETag. An edit of no
readiness input answers its own version; an edit of one answers once the run after it has ended, so
an edit landed meanwhile may be in its answer (and two answers may then carry one version).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict

import psycopg
import requests

from planner.store.gpkg_format import register_functions
from tests.api.conftest import EDITOR, EDITOR2

PARCELS = ["P001", "P002", "P003"]
EDITS_EACH = 12
EDITORS = 8


def _editor(url: str, k: int, answers: list, lock: threading.Lock) -> None:
    headers = EDITOR if k % 2 else EDITOR2
    with requests.Session() as s:
        for step in range(EDITS_EACH):
            pid = PARCELS[(k + step) % len(PARCELS)]
            # never the parcels' own 100.0: an edit that changes nothing is answered 200 without a history row
            body = {"power_kva": 100.5 + k + step / 100} if step % 4 == 0 else {"holder": f"企业{k}-{step}"}
            version = s.get(f"{url}/parcels/{pid}", timeout=120).headers["ETag"]
            got = s.patch(f"{url}/parcels/{pid}", json=body, headers={**headers, "If-Match": version}, timeout=300)
            etag = got.headers.get("ETag")
            ((column, _),) = body.items()
            answered = got.json()["properties"][column] if got.ok else None
            with lock:
                answers.append(
                    (pid, body, got.status_code, int(etag.strip('"')) if etag and got.ok else None, answered)
                )


def _outside_writer(served, stop: threading.Event, done: list, failed: list) -> None:
    """Plain SQL updates of the parcels' names, as another program would make them (the triggers version them);
    an update refused (a deadlock, say) is kept in ``failed``."""
    if served.backend == "gpkg":
        conn = sqlite3.connect(served.store.path, timeout=60, isolation_level=None)
        register_functions(conn)  # the GeoPackage's R-tree triggers call ST_IsEmpty …, as GDAL registers them
        table, mark = "parcels", "?"
    else:
        conn = psycopg.connect(served.store.location.split("?")[0], autocommit=True)
        table, mark = f'"{served.store.schema}".parcels', "%s"
    try:
        k = 0
        while not stop.is_set() and k < 40:
            k += 1
            conn.execute(f"UPDATE {table} SET name = {mark} WHERE parcel_id = {mark}", (f"外部 {k}", PARCELS[k % 3]))
            done.append(k)
            stop.wait(0.02)
    except Exception as exc:  # any refusal is the test's failure, reported there
        failed.append(exc)
    finally:
        conn.close()


def test_concurrent_editors_get_200_or_409_and_every_200_is_one_history_row(small_api):
    since = small_api.store.change_stamp()
    answers: list = []
    lock = threading.Lock()
    stop, outside, refused = threading.Event(), [], []
    writer = threading.Thread(target=_outside_writer, args=(small_api, stop, outside, refused))
    writer.start()
    editors = [threading.Thread(target=_editor, args=(small_api.url, k, answers, lock)) for k in range(EDITORS)]
    for t in editors:
        t.start()
    for t in editors:
        t.join()
    stop.set()
    writer.join()

    assert len(answers) == EDITORS * EDITS_EACH
    assert {code for _, _, code, _, _ in answers} <= {200, 409}, sorted({code for _, _, code, _, _ in answers})
    ok = [(pid, body, version, answered) for pid, body, code, version, answered in answers if code == 200]
    assert ok, "no edit got through"
    assert outside, "the outside writer wrote nothing"
    assert refused == [], refused  # an outside edit is never refused for the planner's (a deadlock, before 96853f8)

    history = small_api.store.changes_since(since, with_changes=True)
    full = small_api.store.history(layer="parcels")
    mine = full[full["history_id"].isin(history["history_id"])]
    by_editor = mine[mine["changed_by"].isin(["张工", "李工"])]
    assert len(by_editor) == len(ok)  # every 200 is a history row; no row without its 200
    assert len(mine[~mine["changed_by"].isin(["张工", "李工"])]) == len(outside)
    # what each edited column held from each version on, by the history (every value an editor writes is new)
    steps: dict[tuple[str, str], list[tuple[int, object]]] = defaultdict(list)
    own: dict[tuple[str, str, object], int] = {}  # (parcel, column, value): the version the edit made
    for row in mine.itertuples(index=False):
        for column, (_, new) in row.changes.items():
            if column in ("power_kva", "holder"):
                steps[row.feature_id, column].append((int(row.version), new))
                if row.changed_by in ("张工", "李工"):
                    own[row.feature_id, column, new] = int(row.version)
    for pid, body, version, answered in ok:
        ((column, value),) = body.items()
        made = own[pid, column, value]  # this 200's own history row
        assert version >= made, (pid, body, version, made)
        if column == "holder":  # no readiness input: the edit's own version
            assert version == made, (pid, body, version, made)
        held = [v for at, v in sorted(steps[pid, column], key=lambda s: s[0]) if at <= version]
        assert answered == held[-1], (pid, body, version, answered, held[-3:])  # the body is the ETag's version
    versions = defaultdict(list)
    for (pid, _, _), made_at in own.items():
        versions[pid].append(made_at)
    stored = small_api.store.read_parcels(parcel_ids=PARCELS).set_index("parcel_id")
    for pid, made in versions.items():
        assert len(set(made)) == len(made)  # each edit made a version of its own
        assert int(stored.loc[pid, "version"]) >= max(made)
    for (pid, column), changes in steps.items():
        assert stored.loc[pid, column] == max(changes, key=lambda s: s[0])[1]  # the last edit stands: none lost


def test_a_page_read_while_edits_keep_landing_is_answered_not_refused(small_api, monkeypatch):
    """PostGIS pages: an edit commits before each read of the page (the stamp moves every time); the
    server's last try holds its writers back for one read, so the page is answered, not a 503."""
    if small_api.backend != "postgis":
        return  # a GeoPackage park is answered from the kept parcels, in the server's own state
    import planner.api.collections as collections

    real, edits = collections.parcel_page, []

    def edit_then_read(*args, **kwargs):
        k = len(edits)
        store = small_api.store

        def edit() -> None:
            version = int(store.get_parcel("P004")["version"])
            store.update_parcel("P004", {"holder": f"企业{k}"}, version=version, by="张工")
            edits.append(k)

        writer = threading.Thread(target=edit)
        writer.start()
        writer.join(timeout=5)  # held back on the last try: the page is read first
        return real(*args, **kwargs)

    monkeypatch.setattr(collections, "parcel_page", edit_then_read)
    got = small_api.get("/parcels", params={"limit": "10"})
    assert got.status_code == 200, got.text
    assert got.json()["numberMatched"] == 6
    for _ in range(100):  # the edit held back goes through once the page is read
        if len(edits) == 3:
            break
        threading.Event().wait(0.1)
    assert len(edits) == 3


def test_a_geopackage_page_read_while_edits_keep_landing_is_answered_not_refused(small_api, monkeypatch):
    """GeoPackage pages (compact columns): an edit commits after the columns are taken and before the page's
    rows are read, on every try; the last try holds the server's writers back, so the page is answered."""
    if small_api.backend != "gpkg":
        return  # PostGIS: the test above
    import planner.api.collections as collections

    real, edits = collections.compact, []

    def compact_then_edit(state):
        kept = real(state)
        k = len(edits)
        store = small_api.store

        def edit() -> None:
            version = int(store.get_parcel("P004")["version"])
            store.update_parcel("P004", {"holder": f"企业{k}"}, version=version, by="张工")
            edits.append(k)

        writer = threading.Thread(target=edit)
        writer.start()
        writer.join(timeout=2)  # held back on the last try: the page is read first
        return kept

    monkeypatch.setattr(collections, "compact", compact_then_edit)
    got = small_api.get("/parcels", params={"limit": "10"})
    assert got.status_code == 200, got.text
    assert got.json()["numberMatched"] == 6
    for _ in range(100):  # the edit held back goes through once the page is read
        if len(edits) == 3:
            break
        threading.Event().wait(0.1)
    assert len(edits) == 3
