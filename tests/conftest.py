"""Shared test helpers: a temporary ledger on each backend and an in-process `outcomes` runner.

Store-level tests take the `backend` fixture (directly or through `store_url`, `outcomes`,
`scenario`) and run twice: on SQLite (a file in tmp_path) and on PostgreSQL (an empty
database per test, see PostgresServer, on the server named by OUTCOMES_TEST_POSTGRES_URL).
A test that only makes sense on some backends says so with `@pytest.mark.backends("sqlite")`.

Without OUTCOMES_TEST_POSTGRES_URL the PostgreSQL runs skip, saying how to enable them;
with it (or with CI=true), a server that cannot be reached fails them.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import freezegun
import pytest
from click.testing import CliRunner, Result

from outcomes.cli import main

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "scenario.jsonl"
ROOT = Path(__file__).parent.parent

POSTGRES_URL_ENV = "OUTCOMES_TEST_POSTGRES_URL"
POSTGRES_HOWTO = (f"set {POSTGRES_URL_ENV}=postgresql://USER:PASS@HOST:PORT/DB to run "
                  "PostgreSQL tests (see .ci/run)")
BACKENDS = ("sqlite", "postgres")

# freeze_time must not stop the clocks of psycopg's connection pool (its waits and
# timeouts would then never elapse, and each command would hang until a real timeout),
# nor pytest's own timer (`--durations` would report the frozen time's distance).
freezegun.configure(extend_ignore_list=["psycopg", "psycopg_pool", "eventsourcing.postgres",
                                        "_pytest.timing"])


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# -- backends ---------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends(*names): run only on these store backends")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every PostgreSQL run `postgres`: the default run leaves them to the second tier
    (`-m "slow or postgres"`, which CI runs; docs/testing.md, "Time")."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(v, str) and v == "postgres" for v in params.values()):
            item.add_marker(pytest.mark.postgres)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say which random order ran, even under -q (which hides pytest-randomly's header)."""
    seed = getattr(config.option, "randomly_seed", None)
    if isinstance(seed, int):
        terminalreporter.write_line(f"test order: random, seed {seed} "
                                    f"(replay it with --randomly-seed={seed})")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts) starts one worker process per core, except for the
    unit tests alone or for given files or tests: they take less time than starting the
    workers, so they run in this process. (PYTEST_XDIST_AUTO_NUM_WORKERS still decides.)"""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    unit = Path(__file__).parent / "unit"
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
             for arg in config.args]
    if paths and all(p.is_file() or p.is_relative_to(unit) for p in paths):
        return 0
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = marker.args if marker else BACKENDS
        metafunc.parametrize("backend", names, indirect=True)


# What an emptied database must show to be handed out again: catalogs as in a fresh one.
USER_OBJECTS = 16384  # FirstNormalObjectId: every object made after initdb has an oid >= this
NOT_TEMP = "nspname !~ '^pg_(toast_)?temp_'"  # sessions' temporary schemas, reused by later ones
PUBLIC = "(SELECT oid FROM pg_namespace WHERE nspname = 'public')"
RELATIONS = f"SELECT oid::regclass::text FROM pg_class WHERE relnamespace = {PUBLIC} AND relkind"
IN_PUBLIC = [  # what a test can make in `public`, and how it is dropped (anything else: checked)
    ("TABLE", f"{RELATIONS} IN ('r', 'p', 'f')"),
    ("VIEW", f"{RELATIONS} = 'v'"),
    ("MATERIALIZED VIEW", f"{RELATIONS} = 'm'"),
    ("SEQUENCE", f"{RELATIONS} = 'S'"),
    ("ROUTINE", f"SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = {PUBLIC}"),
    ("TYPE", "SELECT oid::regtype::text FROM pg_type WHERE typelem = 0 AND (typrelid = 0 OR "
             f"typrelid IN (SELECT oid FROM pg_class WHERE relkind = 'c')) "
             f"AND typnamespace = {PUBLIC}"),
]


class PostgresServer:
    """The test server: gives each test an empty database (owned by the test role).

    Making a database costs a quarter of a second or more (CREATE DATABASE copies
    template0 and syncs it), and some 200 tests take one; so a database a test is done
    with is emptied and given to the next, when that leaves it indistinguishable from a
    fresh one: its sessions ended, every schema made since dropped and every object in
    `public` dropped, then its catalogs checked against those of a database just made
    (no object with an oid past initdb's, `public` with its owner, privileges and
    comment, no setting, privilege or comment on the database itself, as many
    dependencies, descriptions and initial privileges as in template0). A database that
    does not pass (a test changed something this does not undo) is dropped, and the next
    test gets a new one.
    """

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        u = urlparse(url)
        self.base = u._replace(path="", query="").geturl()
        self._names = itertools.count(1)
        self._free: list[str] = []
        self._fresh: Any = None  # the catalogs of a database just made
        self._check: str | None = None
        try:
            self.admin = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            pytest.fail(f"{POSTGRES_URL_ENV} is set but its server cannot be reached "
                        f"({u.hostname}:{u.port or 5432}): {str(error).splitlines()[0]}",
                        pytrace=False)

    def create_database(self) -> str:
        """An empty database: an emptied one if any, else a new one."""
        if self._free:
            return self._free.pop()
        name = f"outcomes_t{os.getpid()}_{next(self._names)}"
        self._drop(name)
        self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        if self._fresh is None:
            self._fresh = self._catalogs(name)
        return name

    def _drop(self, name: str) -> None:
        """DROP ... WITH (FORCE) ends the tests' leftover sessions, but PostgreSQL refuses
        it while an autovacuum worker (run by no role) is in the database, for a role
        without pg_signal_backend; a plain DROP cancels autovacuum itself, so fall back
        to it, retrying while some session still lingers."""
        import psycopg

        try:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InsufficientPrivilege:
            pass
        for attempt in range(50):
            try:
                self.admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 49:
                    raise
                time.sleep(0.2)

    def drop_database(self, name: str) -> None:
        """The test is done with the database: empty it for the next test (or drop it),
        and remove the local files the tests kept for it."""
        folder = pg_read_model(self.url_for(name)).parent
        for pattern in (f"{name}.*", f"{name}-*"):  # read model, index; per schema
            for path in folder.glob(pattern):
                path.unlink(missing_ok=True)  # SQLite may remove -wal/-shm meanwhile
        if self._fresh is not None and self._empty(name):
            self._free.append(name)
        else:
            self._drop(name)

    def _empty(self, name: str) -> bool:
        """Empty the database as it was made; False when it cannot be (drop it then)."""
        import psycopg

        try:
            if not self._end_sessions(name):
                return False
            with psycopg.connect(self.url_for(name), autocommit=True) as conn, \
                    conn.transaction():
                for (schema,) in conn.execute(
                        f"SELECT quote_ident(nspname) FROM pg_namespace WHERE oid >= "
                        f"{USER_OBJECTS} AND nspname <> 'public' AND {NOT_TEMP}").fetchall():
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
                for kind, query in IN_PUBLIC:
                    names = [row[0] for row in conn.execute(query).fetchall()]
                    if names:
                        conn.execute(f"DROP {kind} IF EXISTS {', '.join(names)} CASCADE")
            return self._catalogs(name) == self._fresh
        except psycopg.Error:
            return False

    def _end_sessions(self, name: str) -> bool:
        """End the sessions still in the database (a killed process's, a leaked pool's);
        False if some linger."""
        for _ in range(100):
            left = self.admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                "datname = %s AND backend_type = 'client backend'", (name,)).fetchone()[0]
            if not left:
                return True
            time.sleep(0.01)
        return False

    def _catalogs(self, name: str) -> Any:
        """What tells a database from a fresh one, read from its catalogs."""
        import psycopg

        with psycopg.connect(self.url_for(name), autocommit=True) as conn:
            if self._check is None:
                self._check = self._catalog_query(conn)
            return conn.execute(self._check).fetchall()

    @staticmethod
    def _catalog_query(conn: Any) -> str:
        """One query: the schemas (owner, privileges, comment), the database's own
        privileges, settings and comment, how many objects each of the database's
        catalogs holds past initdb's, and the sizes of the catalogs without oids."""
        parts = [
            "SELECT 'schema ' || nspname, nspowner::regrole::text || ' ' || "
            "coalesce(nspacl::text, '-') || ' ' || coalesce(obj_description(oid, "
            f"'pg_namespace'), '-') FROM pg_namespace WHERE {NOT_TEMP}",
            "SELECT 'database', datdba::regrole::text || ' ' || coalesce(datacl::text, '-') "
            "|| ' ' || datconnlimit || ' ' || datallowconn || ' ' || coalesce(shobj_description("
            "oid, 'pg_database'), '-') || ' ' || coalesce((SELECT string_agg(setconfig::text, "
            "' ') FROM pg_db_role_setting WHERE setdatabase = d.oid), '-') FROM pg_database d "
            "WHERE datname = current_database()",
        ]
        catalogs = [row[0] for row in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
            "AND a.attname = 'oid' WHERE c.relnamespace = 'pg_catalog'::regnamespace "
            "AND c.relkind = 'r' AND NOT c.relisshared "
            "AND has_table_privilege(c.oid, 'SELECT') ORDER BY 1").fetchall()]
        for catalog in catalogs:
            extra = (f" AND nspname <> 'public' AND {NOT_TEMP}"
                     if catalog == "pg_namespace" else "")
            parts.append(f"SELECT 'new in {catalog}', count(*)::text FROM "
                         f"pg_catalog.{catalog} WHERE oid >= {USER_OBJECTS}{extra}")
        for catalog in ("pg_depend", "pg_description", "pg_init_privs", "pg_seclabel"):
            parts.append(f"SELECT 'rows of {catalog}', count(*)::text FROM "
                         f"pg_catalog.{catalog}")
        return " UNION ALL ".join(f"({part})" for part in parts) + " ORDER BY 1"

    def url_for(self, name: str) -> str:
        return f"{self.base}/{name}"

    def close(self) -> None:
        for name in self._free:
            self._drop(name)
        self._free.clear()
        self.admin.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        if in_ci():
            pytest.fail(f"CI=true but {POSTGRES_URL_ENV} is not set: .ci/run sets it",
                        pytrace=False)
        pytest.skip(POSTGRES_HOWTO)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail(f"{POSTGRES_URL_ENV} is set but psycopg is not installed: "
                    'pip install -e ".[test]"', pytrace=False)
    server = PostgresServer(url)
    yield server
    server.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend of this run: "sqlite" or "postgres" (parametrised)."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_server")
    return request.param


@pytest.fixture
def new_store(backend: str, tmp_path: Path,
              request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty store URLs on this test's backend (not yet initialised)."""
    made: list[str] = []
    counter = itertools.count(1)
    server = request.getfixturevalue("postgres_server") if backend == "postgres" else None

    def make() -> str:
        if server is None:
            return str(tmp_path / f"ledger{next(counter)}.db")
        name = server.create_database()
        made.append(name)
        return server.url_for(name)

    yield make
    for name in made:
        assert server is not None
        server.drop_database(name)


@pytest.fixture
def store_url(new_store: Callable[[], str]) -> str:
    """A fresh store URL (a SQLite path or a postgresql:// URL), not yet initialised."""
    return new_store()


# -- the CLI runner ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OUTCOMES_DB", "OUTCOMES_ACTOR", "OUTCOMES_READ_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OUTCOMES_ACTOR", "tester")


def pg_read_model(url: str) -> Path:
    """Where the tests keep the local read model of a PostgreSQL test ledger (the CLI's
    default is in the current folder)."""
    u = urlparse(url)
    name = u.path.strip("/") + (f"-{u.query.split('=', 1)[1]}" if u.query else "")
    return Path(tempfile.gettempdir()) / "outcomes-tests" / f"{name}.read.db"


class Outcomes:
    """Runs `outcomes --db <ledger> ...` in-process.

    `url` is the store (a SQLite path or a postgresql:// URL); `db` is the same as a Path
    for SQLite; `read_model` is the local read model file the commands use (for SQLite
    the CLI's default beside the store; for PostgreSQL one per test ledger, passed with
    --read-model).
    """

    def __init__(self, db: Path | str, read_model: Path | str | None = None) -> None:
        self.url = str(db)
        self.backend = "postgres" if self.url.startswith("postgresql://") else "sqlite"
        self.db: Path | str = self.url if self.backend == "postgres" else Path(db)
        self.options: list[str] = []
        if read_model is not None:
            self.read_model = Path(read_model)
            self.options = ["--read-model", str(read_model)]
        elif self.backend == "postgres":
            self.read_model = pg_read_model(self.url)
            self.read_model.parent.mkdir(exist_ok=True)
            self.options = ["--read-model", str(self.read_model)]
        else:
            path = Path(db)
            self.read_model = path.with_name(path.stem + ".read.db")

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, ["--db", self.url, *self.options, *args],
                                  input=input, catch_exceptions=False)

    def digest(self) -> str:
        """Hash of the stored state, to prove a refused command wrote nothing.

        SQLite: the store's files, byte for byte. PostgreSQL: every row of the events
        table (notification ids included) and the id sequence's position, so even an
        insert that was rolled back would show.
        """
        h = hashlib.sha256()
        if self.backend == "sqlite":
            for suffix in ("", "-wal"):
                path = Path(str(self.db) + suffix)
                h.update(path.read_bytes() if path.exists() else b"")
            return h.hexdigest()
        with pg_connect(self.url) as conn:
            for row in conn.execute(
                    "SELECT notification_id, originator_id::text, originator_version, topic, "
                    "state FROM outcomes_events ORDER BY notification_id"):
                h.update(repr(row).encode())
            seq = conn.execute("SELECT last_value, is_called FROM "
                               "outcomes_events_notification_id_seq").fetchone()
            h.update(repr(seq).encode())
        return h.hexdigest()

    def count(self) -> int:
        """How many rows the events table holds (read with the backend's own driver)."""
        if self.backend == "sqlite":
            import sqlite3

            con = sqlite3.connect(self.url)
            try:
                return con.execute("SELECT count(*) FROM stored_events").fetchone()[0]
            finally:
                con.close()
        with pg_connect(self.url) as conn:
            return conn.execute("SELECT count(*) FROM outcomes_events").fetchone()[0]


def pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True)


@pytest.fixture
def outcomes(store_url: str) -> Outcomes:
    run = Outcomes(store_url)
    result = run("init")
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture
def scenario(outcomes: Outcomes) -> Outcomes:
    result = outcomes("import", str(SCENARIO))
    assert result.exit_code == 0, result.output
    return outcomes
