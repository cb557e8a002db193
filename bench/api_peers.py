"""The peers of ``bench.api``: one SQL statement behind a small Starlette server, and tipg; the load of 4 clients.

The peer server answers ``GET /parcels`` with :data:`bench.api.POSTGIS_SQL` as text, passed through
untouched (no count): the least a Python server over PostGIS can do per request. Each of its
threads keeps its own connection, as the planner's server does. tipg (OGC API Features on
FastAPI and asyncpg) runs from a virtual environment of its own when one is given
(``--tipg-venv``: ``python -m venv DIR && DIR/bin/pip install tipg uvicorn``), since it pins other
versions of FastAPI and Starlette than the planner's.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import requests

__all__ = ["peer_app", "rate", "tipg_command"]

IDENTITY = {"Accept-Encoding": "identity"}
"""Every way is timed on the same uncompressed bytes (the API's gzip is timed apart)."""


def peer_app(url: str, query: str):
    """A Starlette app answering ``/parcels`` and ``/health`` with one statement per request."""
    import psycopg
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    local = threading.local()
    text_query = f"SELECT ({query})::text"

    def parcels(request):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = psycopg.connect(url, autocommit=True)
        (doc,) = conn.execute(text_query).fetchone()
        return Response(doc, media_type="application/geo+json")

    def health(request):
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(routes=[Route("/parcels", parcels), Route("/health", health)])


def serve_peer(url: str, query_file: str, port: int) -> None:
    """Run in the peer's process: the Starlette app under uvicorn (httptools, uvloop where installed)."""
    import uvicorn

    app = peer_app(url, Path(query_file).read_text())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def tipg_command(venv: Path, url: str, schema: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command and environment that serve the park's schema with tipg from ``venv``."""
    env = dict(
        os.environ,
        DATABASE_URL=url,
        TIPG_DB_SCHEMAS=f'["{schema}"]',
        TIPG_MAX_FEATURES_PER_QUERY="10000",
    )
    env.pop("PYTHONPATH", None)
    argv = [str(venv / "bin" / "python"), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    return argv, env


def rate(url: str, params: dict, clients: int = 4, per_client: int = 50) -> float:
    """Requests per second with ``clients`` keep-alive clients, each sending ``per_client`` requests."""
    failures: list[BaseException] = []

    def client() -> None:
        try:
            with requests.Session() as session:
                for _ in range(per_client):
                    got = session.get(url, params=params, headers=IDENTITY, timeout=60)
                    got.raise_for_status()
                    got.content  # noqa: B018 - the whole body, as a client reads it
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t
    if failures:
        raise failures[0]
    return clients * per_client / elapsed


if __name__ == "__main__":
    serve_peer(sys.argv[1], sys.argv[2], int(sys.argv[3]))
