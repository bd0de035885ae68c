"""The service's database: engine (SQLite in WAL mode by default), sessions, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from grader.config import Settings
from grader.errors import ConfigError, Unreachable
from grader.text import one_line

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(settings: Settings) -> Engine:
    """An engine for ``settings.database``; SQLite gets WAL, foreign keys and a busy timeout."""
    url = settings.database
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (what ``grader serve`` does on start)."""
    command.upgrade(alembic_config(engine), "head")


def check_database(engine: Engine) -> None:
    """Raise ``Unreachable`` in one line if the database does not answer."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        said = str(getattr(exc, "orig", None) or exc).strip()
        reason = one_line(said.splitlines()[0] if said else type(exc).__name__, 200)
        raise Unreachable(f"cannot reach the database at "
                          f"{make_url(str(engine.url)).render_as_string(hide_password=True)}: {reason}") from None


def check_schema(engine: Engine) -> None:
    """Raise ``ConfigError`` unless the database is at the newest migration (``grader serve`` migrates it)."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        raise ConfigError(f"the database is at migration {current or 'none'}, this grader needs {head}: "
                          "start grader serve first (it migrates), or upgrade this worker to its version")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: no half-written rows."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
