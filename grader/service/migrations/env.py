"""Alembic's entry point: migrations run on the engine grader hands over (``grader.service.db.migrate``)."""

from __future__ import annotations

from alembic import context

from grader.service.records import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
