"""Input hygiene over HTTP, on both backends: what no store can keep is refused by field, never a 500.

Raw bodies are sent as bytes: a JSON text may hold a lone surrogate (``"\\ud800"``) or ``NaN``,
which a client library would refuse to write.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import EDITOR


def _patch(api, body: bytes, version: int = 1):
    headers = EDITOR | {"If-Match": f'"{version}"', "Content-Type": "application/json"}
    return api.patch("/parcels/P001", data=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        (b'{"holder": "a\\ud800c"}', "holder", "lone surrogate (U+D800)"),
        (b'{"name": "\\u0000x"}', "name", "NUL character"),
        (b'{"land_price_wan": NaN}', "land_price_wan", "NaN"),
        (b'{"power_kva": Infinity}', "power_kva", "Infinity"),
        (b'{"holder": true}', "holder", "True is a yes/no value, not text"),
        (b'{"power_kva": 1.18e21}', "power_kva", "allowed: 0 to 10,000,000 kVA"),
        (b'{"water_m3d": -5}', "water_m3d", "cannot be negative"),
    ],
)
def test_what_no_store_can_keep_is_refused_by_field_and_changes_nothing(small_api, body, field, says):
    before = small_api.get("/parcels/P001").json()["properties"]
    got = _patch(small_api, body)
    assert got.status_code == 422, got.text
    error = got.json()["error"]
    assert error["field"] == field and says in error["message"], error
    after = small_api.get("/parcels/P001").json()["properties"]
    assert after == before and small_api.store.get_parcel("P001")["version"] == 1


def test_a_plausible_value_still_goes_in(small_api):
    got = _patch(small_api, b'{"power_kva": 9000000, "holder": "\\u7532\\u516c\\u53f8"}')
    assert got.status_code == 200, got.text
    assert got.json()["properties"]["power_kva"] == 9_000_000 and got.json()["properties"]["holder"] == "甲公司"
