"""Reading behind a token (``planner serve --read-token``) and PostGIS passwords kept out of sight.

The bearer scheme is declared in the OpenAPI document (FastAPI's ``HTTPBearer``), so /docs
offers *Authorize*. A password is never printed; libpq reads it (and the host and database)
from ``PGPASSWORD``, ``~/.pgpass`` or a service file (PostgreSQL docs §34.17, §34.16), so it
need not be on the command line at all.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.api.conftest import EDITOR, TOKENS, VIEWER, _free_port
from tests.conftest import wait_for_server

PLANNER = shutil.which("planner", path=str(Path(sys.executable).parent)) or "planner"
ROOT = Path(__file__).resolve().parents[2]


def _env(**more: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "PLANNER_LANG": "en", **more}


def _location(api) -> str:
    return str(api.store.path) if api.backend == "gpkg" else api.store.location


def test_planner_serve_read_token_closes_every_read_and_docs_offer_authorize(small_api, tmp_path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({k: {"user": t.user, "role": t.role} for k, t in TOKENS.items()}), encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen(
        [PLANNER, "serve", _location(small_api), "--port", str(port), "--tokens", str(tokens), "--read-token"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(url, server)
        for path in ("/parcels", "/parcels/P001", "/parcels/P001/history", "/stats", "/idle", "/export/geojson"):
            closed = requests.get(url + path, timeout=30)
            assert closed.status_code == 401, path
            assert closed.json()["error"]["field"] == "Authorization" and closed.headers["www-authenticate"] == "Bearer"
        assert (
            requests.get(
                url + "/parcels", headers={"Authorization": "Bearer wrong-token-0123456789"}, timeout=30
            ).status_code
            == 401
        )
        assert requests.get(url + "/parcels", headers=VIEWER, timeout=30).status_code == 200
        assert requests.get(url + "/parcels/P001", headers=EDITOR, timeout=30).status_code == 200
        spec = requests.get(url + "/openapi.json", timeout=30).json()
        scheme = spec["components"]["securitySchemes"]["token"]
        assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
        assert {"token": []} in spec["paths"]["/parcels"]["get"]["security"]
        assert {"token": []} in spec["paths"]["/parcels/{parcel_id}"]["patch"]["security"]
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
    assert "reads need one" in out


def test_read_token_without_any_token_is_refused(small_api):
    env = _env()
    env.pop("PLANNER_API_TOKENS", None)
    done = subprocess.run(
        [PLANNER, "serve", _location(small_api), "--read-token"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 1 and "--read-token needs at least one token" in done.stderr


def test_a_password_is_never_printed_and_need_not_be_given(small_api, tmp_path):
    if small_api.backend != "postgis":
        pytest.skip("a GeoPackage has no password")
    secret = "Sup3rSecretPW"
    parts = urlsplit(small_api.store.location)
    closed_port = _free_port()
    wrong = f"postgresql://planner:{secret}@127.0.0.1:{closed_port}{parts.path}?park=T1"
    for command in (["serve", wrong], ["export", wrong, "--to", "geojson", "--out", str(tmp_path / "x.geojson")]):
        done = subprocess.run([PLANNER, *command], capture_output=True, text=True, env=_env(), timeout=120)
        text = done.stdout + done.stderr
        assert done.returncode == 1 and secret not in text and "***" in text, text
        assert "postgresql://planner:***@127.0.0.1" in " ".join(text.split())
    service = tmp_path / "pg_service.conf"
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    service.write_text(
        f"[planner_test]\nhost={host}\nport={port}\ndbname={parts.path.lstrip('/')}\nuser={parts.username}\n"
        + (f"password={parts.password}\n" if parts.password else ""),
        encoding="utf-8",
    )
    done = subprocess.run(
        [PLANNER, "stats", "postgresql://?service=planner_test&park=T1", "--lang", "en"],
        capture_output=True,
        text=True,
        env=_env(PGSERVICEFILE=str(service)),
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "postgresql:?" not in done.stdout + done.stderr
