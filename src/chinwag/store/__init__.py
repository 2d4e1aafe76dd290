"""Persistence: tables, the engine, migrations and every SQL query chinwag runs.

Query functions take a SQLAlchemy `Connection` and are named for what they do;
nothing here knows about HTTP.
"""
