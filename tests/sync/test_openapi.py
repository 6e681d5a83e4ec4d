"""The server's OpenAPI schema is kept in the repo (docs/openapi.json) and must match the code."""

from __future__ import annotations

import json
from pathlib import Path

from server.app import create_app

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_schema_in_the_repo_matches_the_server(tmp_path):
    current = create_app(tmp_path / "server.sqlite3").openapi()
    kept = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert kept == json.loads(json.dumps(current)), (
        "docs/openapi.json is out of date: regenerate it (see docs/sync-protocol.md)"
    )
    assert {"/v1/register", "/v1/push", "/v1/pull", "/v1/certificates/{serial}"} <= set(kept["paths"])
