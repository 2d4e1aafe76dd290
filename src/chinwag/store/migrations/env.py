"""Alembic environment: runs migrations on the URL chinwag passes in."""

from alembic import context
from sqlalchemy import create_engine

from chinwag.store.database import sqlite_url
from chinwag.store.tables import metadata

url = sqlite_url(context.config.get_main_option("sqlalchemy.url") or "")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
