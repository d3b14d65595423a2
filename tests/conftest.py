"""Shared test helpers: a temporary ledger and an in-process `outcomes` runner."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "scenario.jsonl"


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OUTCOMES_DB", "OUTCOMES_ACTOR", "OUTCOMES_READ_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTCOMES_ACTOR", "tester")


class Outcomes:
    """Runs `outcomes --db <tmp ledger> ...` in-process."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--db", str(self.db), *args], input=input,
                                  catch_exceptions=False)

    def digest(self) -> str:
        """Hash of the store's files, to prove a refused command wrote nothing."""
        h = hashlib.sha256()
        for suffix in ("", "-wal"):
            path = Path(str(self.db) + suffix)
            h.update(path.read_bytes() if path.exists() else b"")
        return h.hexdigest()


@pytest.fixture
def outcomes(tmp_path: Path) -> Outcomes:
    run = Outcomes(tmp_path / "ledger.db")
    assert run("init").exit_code == 0
    return run


@pytest.fixture
def scenario(outcomes: Outcomes) -> Outcomes:
    result = outcomes("import", str(SCENARIO))
    assert result.exit_code == 0, result.output
    return outcomes
