"""Where each idle parcel stands in the procedure (闲置土地处置办法 arts. 5–14), in ``/idle`` and ``/parcels/{id}``.

The demo park as of 2026-06-30 has parcel 341103003016GB00002 idle (not started one year
after its agreed start), holder-caused, with no record: stage 待调查 (art. 5). An editor
records the investigation notice and the 认定书 (art. 9); the edit runs idle land again and
the stage moves to 已认定待处置.
"""

from __future__ import annotations

from tests.api.conftest import EDITOR

PID = "341103003016GB00002"


def test_idle_answers_carry_the_stage_and_an_edit_of_the_record_moves_it(api):
    idle = api.get("/idle").json()
    assert idle["stages"]["determined"] == "已认定待处置" and "idle_fee_paid_wan" in idle
    [feature] = [f for f in idle["features"] if f["properties"]["parcel_id"] == PID]
    props = feature["properties"]
    assert (props["disposal_stage"], props["disposal_stage_zh"]) == ("to_investigate", "待调查")
    assert props["idle_notice_date"] is None and props["idle_until"] is None

    before = api.get(f"/parcels/{PID}").json()["properties"]
    assert before["disposal_stage_zh"] == "待调查"
    since = before["idle_since"]
    record = {"idle_notice_date": since, "idle_determined_date": since}
    done = api.patch(f"/parcels/{PID}", json=record, headers=EDITOR | {"If-Match": f'"{before["version"]}"'})
    assert done.status_code == 200, done.text
    after = api.get(f"/parcels/{PID}").json()["properties"]
    assert (after["disposal_stage"], after["disposal_stage_zh"]) == ("determined", "已认定待处置")


def test_a_record_against_the_articles_is_a_400_naming_the_field(api):
    before = api.get(f"/parcels/{PID}").json()["properties"]
    bad = {"idle_notice_date": "2026-05-01", "idle_determined_date": "2026-04-01"}  # 认定书 before the notice
    answer = api.patch(f"/parcels/{PID}", json=bad, headers=EDITOR | {"If-Match": f'"{before["version"]}"'})
    assert answer.status_code in (400, 422), answer.text
    assert "idle_determined_date" in answer.text
