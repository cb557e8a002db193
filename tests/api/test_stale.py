"""Derived data that knows it is stale, on both backends: an edit committed without its recomputation.

A server killed between committing an edit of a readiness or idle input and running the
analysis again leaves the edit stored and the result as it was. The edit's history row is its
change stamp, written in the same transaction; the result records the stamp it read its
inputs at. So the API answers 409 for ``ready`` / ``idle`` filters until the result is
computed again — never a stale 200 — and an edit of a column the result does not read
(``holder``) leaves it current.
"""

from __future__ import annotations

from planner.analysis import freshness, update_idle, update_readiness


def test_an_edit_without_its_recomputation_is_never_served_as_current(small_api):
    store = small_api.store
    update_readiness(store, by="setup")
    assert small_api.get("/parcels", params={"ready": "false"}).status_code == 200
    version = int(store.get_parcel("P001")["version"])
    store.update_parcel("P001", {"holder": "某公司"}, version=version, by="另一客户端")  # not an input of readiness
    assert freshness(store, "readiness").current
    assert small_api.get("/parcels", params={"ready": "false"}).status_code == 200
    store.update_parcel("P001", {"power_kva": 5000.0}, version=version + 1, by="另一客户端")  # then the server "died"
    verdict = freshness(store, "readiness")
    assert not verdict.current and verdict.changed == "parcels" and "P001" in verdict.detail
    stale = small_api.get("/parcels", params={"ready": "false"})
    assert stale.status_code == 409, stale.text
    error = stale.json()["error"]
    assert error["field"] == "ready" and "parcel 'P001': power_kva" in error["message"] and "stale" in error["message"]
    update_readiness(store, by="recompute")  # the next run makes it current again
    assert small_api.get("/parcels", params={"ready": "false"}).status_code == 200


def test_idle_land_is_stale_after_an_edit_of_what_it_reads(small_api):
    store = small_api.store
    update_idle(store, "2026-06-30", by="setup")
    assert small_api.get("/parcels", params={"idle": "false"}).status_code == 200
    version = int(store.get_parcel("P002")["version"])
    store.update_parcel("P002", {"status": "supplied", "agreed_start_date": "2024-01-01"}, version=version, by="x")
    stale = small_api.get("/parcels", params={"idle": "true"})
    assert stale.status_code == 409 and stale.json()["error"]["field"] == "idle", stale.text
    assert "agreed_start_date, status" in stale.json()["error"]["message"]
    update_idle(store, "2026-06-30", by="recompute")
    fresh = small_api.get("/parcels", params={"idle": "true"})
    assert fresh.status_code == 200 and [f["id"] for f in fresh.json()["features"]] == ["P002"]  # not started 2 years


def test_a_readiness_input_edit_is_answered_with_its_readiness_and_never_seen_stale(small_api):
    """PATCH of a parcel's own readiness inputs commits the edit and its readiness together: a reader running
    beside the edits never meets a stale result (no 409), and reads each edit's readiness right after it."""
    import threading

    from tests.api.conftest import EDITOR

    store = small_api.store
    update_readiness(store, by="setup")
    answers: list[int] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            answers.append(small_api.get("/parcels", params={"ready": "false"}).status_code)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for k, (column, value) in enumerate([("power_kva", 900.0), ("declared_water", False), ("status", "supplied"),
                                             ("declared_water", True), ("power_kva", 1200.0)]):  # fmt: skip
            version = int(store.get_parcel("P003")["version"])
            answer = small_api.patch(
                "/parcels/P003", json={column: value}, headers={**EDITOR, "If-Match": f'"{version}"'}
            )
            assert answer.status_code == 200, answer.text
            assert not any("重算" in note for note in answer.json()["notes"]), k  # the record's warnings alone
            assert freshness(store, "readiness").current, k
            stored = store.get_parcel("P003")
            assert answer.json()["properties"]["ready"] == bool(stored["ready"])
            assert answer.json()["properties"][column] == value
    finally:
        done.set()
        thread.join(timeout=60)
    assert answers and set(answers) == {200}, answers
    # what is stored is what a full run gives
    stored = store.read_parcels().set_index("parcel_id")[["ready", "missing"]]
    again = update_readiness(store, by="check")
    assert again.report.updated == 0
    assert stored["ready"].tolist() == again.readiness.table.reindex(stored.index)["ready"].tolist()


def test_an_idle_input_edit_is_answered_with_its_idle_land_and_never_seen_stale(small_api, monkeypatch):
    """PATCH of a parcel's status or dates on a park whose idle land was classified commits the parcel's idle land
    with it, in one step (no run after it, so no window where the idle query answers 409): the idle query right
    after answers with the new classification, a whole-park run's."""
    import planner.api.recompute
    from tests.api.conftest import EDITOR

    runs: list[set[str]] = []
    real = planner.api.recompute.recompute_after_edit
    monkeypatch.setattr(planner.api.recompute, "recompute_after_edit", lambda *a: runs.append(a[2]) or real(*a))
    store = small_api.store
    update_readiness(store, by="setup")
    update_idle(store, "2026-06-30", by="setup")
    edits = [  # P002 supplied, to start on 2024-01-01: a year ends Wednesday 2025-01-01, idle from 2025-01-02
        ({"status": "supplied", "holder": "某公司", "contract_date": "2023-12-01", "agreed_start_date": "2024-01-01"},
         ["P002"]),
        ({"agreed_start_date": "2025-12-01"}, []),  # a year from 2025-12-01 is not over by 2026-06-30
        ({"status": "reserved", "contract_date": None, "agreed_start_date": "2024-01-01"}, []),  # not supplied
    ]  # fmt: skip
    for changes, idle in edits:
        version = int(store.get_parcel("P002")["version"])
        answer = small_api.patch("/parcels/P002", json=changes, headers={**EDITOR, "If-Match": f'"{version}"'})
        assert answer.status_code == 200, answer.text
        assert not any("重算" in note for note in answer.json()["notes"])
        found = small_api.get("/parcels", params={"idle": "true"})
        assert found.status_code == 200, found.text
        assert [f["id"] for f in found.json()["features"]] == idle
        assert small_api.get("/parcels", params={"ready": "false"}).status_code == 200
        assert answer.json()["properties"]["idle_rule"] == ("not_started" if idle else None)
        assert runs == []  # the edit and its results in one transaction: the two-step run never made
    _, report = update_idle(store, "2026-06-30", by="check")
    assert report.updated == 0  # what is stored is what a whole-park run gives
    assert update_readiness(store, by="check").report.updated == 0
