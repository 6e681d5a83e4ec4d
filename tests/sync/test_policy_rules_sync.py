"""The province's rules travel with the policy: `guopei-server policy --level-limit/--credit-rules/
--training-cycle` on the server's database, then the county app after its next sync (real server,
SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.db.engine import create_database
from desktop.domain.eligibility import LevelLimit
from desktop.services import credits, selection
from desktop.services.demo_county import COUNTY_CODE
from desktop.services.training_cycle import training_cycle
from desktop.sync.client import SyncClient, register
from guopei_common.vocab import Program, TrainingLevel
from server.cli import main as server_cli
from tests.sync.conftest import BACKENDS, OTHER_COUNTY, Server, running_server

RULES_2026 = {
    "version": "黔教师〔2026〕1号",
    "effective_from": "2026-01-01",
    "rules": {
        "default": {"hours_per_credit": 10, "online_ratio": 0.5, "rounding": 0.5},
        "by_level": {"national": {"hours_per_credit": 12, "max_credits": 8}},
    },
}
CYCLE = {
    "first_year": 2026,
    "years": 5,
    "required_hours": 300,
    "categories": [{"label": "师德", "min_hours": 12, "topic_words": ["师德"]}],
}


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(request.param, tmp_path_factory.mktemp("server")) as started:
        yield started


def admin(server: Server, *args: str) -> int:
    return server_cli([args[0], "--db", server.db, *args[1:]])


def test_level_limits_credit_rules_and_cycle_reach_the_county_at_its_next_sync(server, tmp_path: Path):
    rules_file, cycle_file = tmp_path / "rules.json", tmp_path / "cycle.json"
    rules_file.write_text(json.dumps(RULES_2026, ensure_ascii=False), encoding="utf-8")
    cycle_file.write_text(json.dumps(CYCLE, ensure_ascii=False), encoding="utf-8")
    db = create_database(tmp_path / "county", county_code=COUNTY_CODE, county_name="平塘县")
    client = SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)))
    other = create_database(tmp_path / "other", county_code=OTHER_COUNTY, county_name="罗甸县")
    other_client = SyncClient(other, server.url, register(other, server.url, server.code(OTHER_COUNTY)))
    assert admin(server, "policy", "--level-limit", "bogus=1/3", "--all") == 2  # refused, nothing set
    assert (
        admin(
            server,
            "policy",
            "--level-limit",
            "provincial=1/3",
            "--level-limit",
            "地市级=2/2",
            "--credit-rules",
            str(rules_file),
            "--training-cycle",
            str(cycle_file),
            "--counties",
            COUNTY_CODE,
        )
        == 0
    )
    client.sync()
    other_client.sync()
    with db.read() as session:
        assert selection.policy(session).level_limits == {
            TrainingLevel.PROVINCIAL: LevelLimit(1, 3),
            TrainingLevel.CITY: LevelLimit(2, 2),
        }
        (version,) = credits.rule_versions(session)
        assert version.version == "黔教师〔2026〕1号" and version.effective_from == dt.date(2026, 1, 1)
        assert version.policy.rule_for(Program.GUOPEI_MIDWEST).hours_per_credit == 12
        cycle = training_cycle(session)
        assert (cycle.first_year, cycle.required_hours, cycle.categories[0].label) == (2026, 300, "师德")
    with other.read() as session:  # only the county named
        assert selection.policy(session).level_limits == {}
        assert credits.rule_versions(session) == []

    # A second version is added beside the first (the drafts of 2025's projects keep the old one).
    later = {**RULES_2026, "version": "黔教师〔2027〕3号", "effective_from": "2027-03-01"}
    rules_file.write_text(json.dumps(later, ensure_ascii=False), encoding="utf-8")
    assert admin(server, "policy", "--credit-rules", str(rules_file), "--all") == 0
    client.sync()
    with db.read() as session:
        assert [v.version for v in credits.rule_versions(session)] == [
            "黔教师〔2026〕1号",
            "黔教师〔2027〕3号",
        ]
        assert selection.policy(session).level_limits[TrainingLevel.PROVINCIAL] == LevelLimit(1, 3)  # kept
    db.dispose()
    other.dispose()
