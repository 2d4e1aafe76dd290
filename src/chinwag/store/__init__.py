"""Persistence: tables, the engine, migrations and every SQL query chinwag runs.

Query functions take a SQLAlchemy `Connection` and are named for what they do;
nothing here knows about HTTP. Their statements are built once, at import, and
run with bound parameters: building a SQLAlchemy statement costs more than
running it (docs/benchmarks.md). Rows become records, and records rows, through
one `RecordMapper` per record (store/records.py).
"""
