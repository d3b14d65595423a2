"""What only PostgreSQL has: a server to reach, roles, schemas, and guards in SQL.

Store behaviour shared with SQLite is tested on both backends elsewhere (the CLI tests,
test_store_backends, the concurrency and crash tests); these are about the server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.conftest import ROOT, SCENARIO, Outcomes, in_ci, pg_connect

pytestmark = pytest.mark.backends("postgres")


def with_credentials(url: str, user: str, password: str | None) -> str:
    u = urlparse(url)
    auth = user if password is None else f"{user}:{password}"
    return u._replace(netloc=f"{auth}@{u.hostname}:{u.port or 5432}").geturl()


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_guards_refuse_update_delete_truncate_even_for_the_owner(
        backend: str, scenario: Outcomes) -> None:
    import psycopg

    with pg_connect(scenario.url) as conn:
        for statement in ("UPDATE outcomes_events SET topic = 'x' WHERE originator_version = 3",
                          "DELETE FROM outcomes_events WHERE originator_version = 3",
                          "DELETE FROM outcomes_events WHERE false",
                          "TRUNCATE outcomes_events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
        enabled = conn.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = "
                               "'outcomes_events_append_only'").fetchall()
    assert enabled == [("A",)]  # fires always, also for replication sessions
    assert scenario.count() == 40
    assert len(scenario("log", "-O", "json").stdout.split('"position"')) == 41


@pytest.fixture
def writer_url(backend: str, scenario: Outcomes, postgres_server) -> Iterator[str]:
    """An INSERT-only role, as docs/postgresql.md recommends for people who append."""
    import psycopg

    role = f"outcomes_writer_{os.getpid()}"
    admin = postgres_server.admin
    try:
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'writer-secret'")
    except psycopg.errors.InsufficientPrivilege:
        if in_ci():
            raise
        pytest.skip("the test role needs CREATEROLE to test an INSERT-only role "
                    "(ALTER ROLE ... CREATEROLE; .ci/run grants it)")
    with pg_connect(scenario.url) as conn:
        conn.execute(f"GRANT SELECT, INSERT ON outcomes_events TO {role}")
        conn.execute(f"GRANT USAGE ON SEQUENCE outcomes_events_notification_id_seq TO {role}")
    yield with_credentials(scenario.url, role, "writer-secret")
    with pg_connect(scenario.url) as conn:
        conn.execute(f"REVOKE ALL ON outcomes_events FROM {role}")
        conn.execute(f"REVOKE ALL ON SEQUENCE outcomes_events_notification_id_seq FROM {role}")
    admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_an_insert_only_role_appends_and_cannot_alter(scenario: Outcomes,
                                                      writer_url: str) -> None:
    import psycopg

    writer = Outcomes(writer_url)
    assert writer("init").exit_code == 0  # a no-op on an existing ledger
    result = writer("append", "offer-launched", "--venture", "alpha", "--offer", "Wind",
                    "--occurred-on", "2018-01-01", "--source", "https://x.org", "--id", "o-w")
    assert result.exit_code == 0, result.output
    assert result.stdout == "o-w\t41\n"
    assert writer("import", str(SCENARIO)).exit_code == 0  # all already recorded
    with pg_connect(writer_url) as conn:
        for statement in ("UPDATE outcomes_events SET topic = 'x'",
                          "DELETE FROM outcomes_events", "TRUNCATE outcomes_events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege,
                               match="permission denied"):
                conn.execute(statement)
    assert scenario.count() == 41


def test_a_role_without_insert_gets_a_one_line_error(scenario: Outcomes,
                                                     writer_url: str) -> None:
    with pg_connect(scenario.url) as conn:
        conn.execute(f"REVOKE INSERT ON outcomes_events FROM {urlparse(writer_url).username}")
    result = Outcomes(writer_url)("append", "offer-launched", "--venture", "alpha",
                                  "--offer", "W", "--occurred-on", "2018-01-01",
                                  "--source", "s")
    line = one_line_error(result)
    assert "permission denied" in line and "docs/postgresql.md" in line
    assert "writer-secret" not in result.output


def test_unreachable_server_is_a_one_line_error_naming_host_and_port() -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = Outcomes(f"postgresql://someone:hunter2@127.0.0.1:{port}/ledger")
    for args in (["init"], ["log"], ["import", str(SCENARIO)]):
        line = one_line_error(run(*args))
        assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}" in line
        assert "is the server running" in line
        assert "hunter2" not in line


def test_wrong_password_and_missing_database(backend: str, store_url: str) -> None:
    u = urlparse(store_url)
    line = one_line_error(Outcomes(with_credentials(store_url, u.username, "wr0ng-pw"))("log"))
    assert "password authentication failed" in line and "wr0ng-pw" not in line
    assert f"{u.hostname}:{u.port}" in line
    line = one_line_error(Outcomes(u._replace(path="/no_such_db_here").geturl())("init"))
    assert 'database "no_such_db_here" does not exist' in line and "createdb" in line
    assert f":{u.password}@" not in line


def test_password_from_pgpassword_or_pgpass(backend: str, scenario: Outcomes, tmp_path,
                                            monkeypatch) -> None:
    u = urlparse(scenario.url)
    bare = Outcomes(with_credentials(scenario.url, u.username, None))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    assert "no password supplied" in one_line_error(bare("log"))
    monkeypatch.setenv("PGPASSWORD", u.password)
    assert bare("log", "-O", "json").exit_code == 0
    monkeypatch.delenv("PGPASSWORD")
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{u.hostname}:{u.port}:*:{u.username}:{u.password}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert bare("log", "-O", "json").exit_code == 0


def test_password_is_never_printed(backend: str, store_url: str) -> None:
    password = urlparse(store_url).password
    result = Outcomes(store_url)("init")
    assert result.exit_code == 0
    assert f":{password}@" not in result.output
    assert "ledger ready at postgresql://" in result.stdout


def test_unsupported_url_parameter() -> None:
    line = one_line_error(Outcomes("postgresql://u:p@localhost/db?sslmode=require")("log"))
    assert "unsupported URL parameter 'sslmode'" in line and "PGSSLMODE" in line
    line = one_line_error(Outcomes("postgresql://u:p@localhost")("log"))
    assert "names no database" in line


def test_one_database_holds_ledgers_in_separate_schemas(backend: str,
                                                        store_url: str) -> None:
    a, b = Outcomes(store_url + "?schema=ledger_a"), Outcomes(store_url + "?schema=ledger_b")
    assert a("init").exit_code == 0 and b("init").exit_code == 0
    assert "?schema=ledger_a" in a("init").stdout
    assert a("import", str(SCENARIO)).exit_code == 0
    assert b("export").stdout == ""
    assert len(a("export").stdout.splitlines()) == 40
    with pg_connect(store_url) as conn:
        tables = conn.execute("SELECT schemaname FROM pg_tables WHERE tablename = "
                              "'outcomes_events' ORDER BY 1").fetchall()
    assert tables == [("ledger_a",), ("ledger_b",)]
    assert "no ledger at" in one_line_error(Outcomes(store_url + "?schema=other")("log"))


def test_concurrent_inits_all_succeed_and_create_one_ledger(backend: str,
                                                            store_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "outcomes.cli", "--db", store_url, "init"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, outputs
    with pg_connect(store_url) as conn:
        triggers = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = "
                                "'outcomes_events_append_only'").fetchone()
    assert triggers == (1,)
    assert Outcomes(store_url)("import", str(SCENARIO)).exit_code == 0


# -- integrity on PostgreSQL: what the guards cannot stop, `verify` catches -----------------

SWAP = ["UPDATE outcomes_events SET originator_version = -1 WHERE originator_version = 4",
        "UPDATE outcomes_events SET originator_version = 4 WHERE originator_version = 7",
        "UPDATE outcomes_events SET originator_version = 7 WHERE originator_version = -1"]
TAMPERING = {
    # name: (statements run by the table's owner with the guard disabled, first bad
    # position, word in the problem)
    "one byte of an old amount": (
        ["UPDATE outcomes_events SET state = convert_to(replace(convert_from(state, 'UTF8'), "
         "'\"20000000.00\"', '\"20000001.00\"'), 'UTF8') WHERE originator_version = 10"],
        10, "altered"),
    "a middle event deleted": (
        ["DELETE FROM outcomes_events WHERE originator_version = 6"], 6, "removed"),
    "two events' positions swapped": (SWAP, 4, "reordered"),
    "a forged row in another stream": (
        ["INSERT INTO outcomes_events (originator_id, originator_version, topic, state) "
         "SELECT gen_random_uuid(), 1, topic, state FROM outcomes_events "
         "WHERE originator_version = 5"], 41, "inserted"),
}


def verify_json(run: Outcomes, *args: str) -> tuple[int, dict]:
    import json

    result = run("verify", *args, "-O", "json")
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_catches_what_the_owner_does_behind_the_guard(
        backend: str, scenario: Outcomes, case: str) -> None:
    statements, position, word = TAMPERING[case]
    assert verify_json(scenario)[0] == 0
    with pg_connect(scenario.url) as conn, conn.transaction():
        conn.execute("ALTER TABLE outcomes_events DISABLE TRIGGER outcomes_events_append_only")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE outcomes_events ENABLE ALWAYS TRIGGER "
                     "outcomes_events_append_only")
    code, report = verify_json(scenario)
    assert code == 1, report
    assert report["first_bad_position"] == position and word in report["problem"], report


def test_a_pg_dump_restore_verifies_against_the_published_checkpoint(
        backend: str, scenario: Outcomes, new_store, tmp_path) -> None:
    """Backups: pg_dump, pg_restore into an empty database, `verify --checkpoint`."""
    import shutil

    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if in_ci():
            pytest.fail("pg_dump and pg_restore are needed (Debian: postgresql-client)")
        pytest.skip("pg_dump and pg_restore are not installed")
    published = scenario("checkpoint").stdout.strip()
    dump = tmp_path / "ledger.dump"
    subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), "--dbname",
                    scenario.url], check=True, capture_output=True)
    restored = Outcomes(new_store())
    done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname",
                           restored.url, str(dump)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert restored("verify", "--checkpoint", published).exit_code == 0
    assert restored("export").stdout == scenario("export").stdout
    result = restored("append", "offer-launched", "--venture", "alpha", "--offer", "W",
                      "--occurred-on", "2018-01-01", "--source", "s")
    assert result.exit_code == 0 and result.stdout.endswith("\t41\n")  # it lives on
    assert restored("verify", "--checkpoint", published).exit_code == 0  # and extends it
    with pg_connect(restored.url) as conn, pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM outcomes_events")  # the guard came back with the dump


def test_urls() -> None:
    from outcomes.ledger.postgres import Target, redact

    t = Target.from_url("postgresql://ledger:p%40ss%3Aword@db.example.org:5433/outcomes")
    assert (t.host, t.port, t.dbname, t.user, t.password, t.schema) == (
        "db.example.org", 5433, "outcomes", "ledger", "p@ss:word", "public")
    assert t.describe() == "postgresql://ledger@db.example.org:5433/outcomes"
    env = t.env(create=False)
    assert env["POSTGRES_PASSWORD"] == "p@ss:word" and env["CREATE_TABLE"] == "no"
    assert env["APPLICATION_RECORDER_TOPIC"] == "outcomes.ledger.postgres:LedgerRecorder"
    bare = Target.from_url("postgres://ledger@/outcomes?host=/run/postgresql&schema=city")
    assert (bare.host, bare.port, bare.password, bare.schema) == (
        "/run/postgresql", 5432, None, "city")
    assert bare.env(create=True)["POSTGRES_GET_PASSWORD_TOPIC"] == \
        "outcomes.ledger.postgres:password_from_libpq"
    assert bare.describe() == "postgresql://ledger@/outcomes?host=/run/postgresql&schema=city"
    assert redact("postgresql://u:secret@h:1/d") == "postgresql://u:***@h:1/d"
    assert redact("postgresql://u@h/d") == "postgresql://u@h/d"
