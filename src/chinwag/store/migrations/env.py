"""Alembic environment: runs migrations on the URL chinwag passes in, on either engine."""

import asyncio

from alembic import context
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from chinwag.store.database import engine_url
from chinwag.store.tables import metadata

url = engine_url(context.config.get_main_option("sqlalchemy.url") or "")


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Servers started together migrate one after another, not into each other.
            connection.execute(text("SELECT pg_advisory_xact_lock(7463711)"))
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await engine.dispose()


if make_url(url).get_backend_name() == "postgresql":
    asyncio.run(run_async_migrations())
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()
