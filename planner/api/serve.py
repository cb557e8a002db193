"""The app ``planner serve`` runs in each worker process: parks and tokens from the environment it sets.

``PLANNER_SERVE_PARKS`` (one location a line), ``PLANNER_SERVE_TOKENS`` (the tokens file),
``PLANNER_SERVE_READ_TOKEN`` (``1``: reads need a viewer's token). A PostGIS location need not
hold its password: libpq reads it from ``PGPASSWORD``, ``~/.pgpass`` (``PGPASSFILE``) or a
service file (``postgresql://?service=<name>&park=<id>``), which keeps it out of process listings.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from planner.api.app import create_app
from planner.api.auth import load_tokens
from planner.store import open_store
from planner.store.base import ParkStore
from planner.store.postgis import is_postgis_uri, list_parks, redact

__all__ = ["app", "stores_from"]

READ_TOKEN_ENV = "PLANNER_SERVE_READ_TOKEN"


def stores_from(parks: list[str]) -> list[ParkStore]:
    """Open each park: a ``.gpkg`` path, a ``postgresql://…?park=`` URL, or a database URL (all its parks)."""
    stores: list[ParkStore] = []
    for location in parks:
        if is_postgis_uri(location) and "park=" not in location:
            stores += [open_store(f"{location}{'&' if '?' in location else '?'}park={p}") for p in list_parks(location)]
        else:
            stores.append(open_store(location))
    if not stores:
        msg = "no park found in " + ", ".join(redact(p) if is_postgis_uri(p) else p for p in parks)
        raise FileNotFoundError(msg)
    return stores


def app() -> FastAPI:
    """Build the app for one worker (uvicorn calls this factory in each process)."""
    parks = [p for p in os.environ.get("PLANNER_SERVE_PARKS", "").split("\n") if p]
    tokens = load_tokens(os.environ.get("PLANNER_SERVE_TOKENS") or None)
    return create_app(stores_from(parks), tokens=tokens, read_needs_token=os.environ.get(READ_TOKEN_ENV) == "1")
