"""What a large park's page shows without the network model: the disagreements from the stored columns."""

from __future__ import annotations

from planner.analysis import update_readiness
from planner.maps.data import stored_disagreements
from planner.store import open_store


def _pairs(frame) -> set[tuple]:
    return {(r.parcel_id, r.item, bool(r.declared), bool(r.derived)) for r in frame.itertuples(index=False)}


def test_the_stored_columns_give_the_network_models_disagreements(demo_park):
    store = open_store(demo_park.path)
    try:
        model = update_readiness(store, by="test", write=False).readiness.disagreements  # the independent way
        stored = stored_disagreements(store.read_parcels(), store.config().checklist)
    finally:
        store.close()
    assert len(model) > 0
    assert _pairs(stored) == _pairs(model)
    assert set(stored.columns) == {"parcel_id", "item", "declared", "derived", "reason"}
