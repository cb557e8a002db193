"""A parcel read through the API shows what its source has left, though the stored reason names the source alone."""

from __future__ import annotations

import requests

from planner.analysis import update_readiness
from planner.api import create_app
from tests.api.conftest import EDITOR, TOKENS, serve
from tests.store.test_edit_with_readiness import _flip_park


def test_a_parcel_read_and_edited_shows_its_sources_remaining_capacity(tmp_path):
    store = _flip_park(tmp_path / "park.gpkg")
    update_readiness(store, by="test")
    stored = store.get_parcel("P2")["power_reason"]
    assert stored.endswith("至SS") and "剩余" not in stored  # stored: the source's name, not its figures
    url, server, thread = serve(create_app(store, tokens=TOKENS))
    try:
        # 1,000 kVA less P0's 1,000 kVA × 0.45 = 550 left
        shown = requests.get(f"{url}/parcels/P2", headers=EDITOR, timeout=60).json()["properties"]["power_reason"]
        assert shown == stored + "，剩余 550 kVA"
        version = int(store.get_parcel("P0")["version"])
        answer = requests.patch(
            f"{url}/parcels/P0", json={"power_kva": 1500.0}, headers={**EDITOR, "If-Match": f'"{version}"'}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        # 1,500 × 0.45 = 675 drawn, 325 left: P1 (360 needed) no longer fits, P2 sees the new figure
        shown = requests.get(f"{url}/parcels/P2", headers=EDITOR, timeout=60).json()["properties"]["power_reason"]
        assert shown == stored + "，剩余 325 kVA"
        p1 = requests.get(f"{url}/parcels/P1", headers=EDITOR, timeout=60).json()["properties"]["power_reason"]
        assert p1 == "[计算] SS容量不足：剩余容量不够本地块所需 360 kVA（负荷 675 / 能力 1,000 kVA，剩余 325）"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
