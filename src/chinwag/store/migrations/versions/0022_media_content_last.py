"""media: content as the last column (SQLite)

Revision ID: 0022
Revises: 0021

An upload inserts its row with `zeroblob(size)` and then writes the bytes into it
through SQLite's incremental BLOB I/O (store/media.py). SQLite keeps a zeroblob lazy
only when it is the record's last column; before it, SQLite builds the whole
zero-filled record in memory (some twice the upload's size, 300 MB for a 150 MB
medium). The table is rebuilt with `content` last, its rows copied, and its keys,
foreign keys (ON DELETE CASCADE) and indexes as they were. PostgreSQL keeps its table
(it stores a `bytea` out of line whatever its column's place) but stores new media
uncompressed: a download reads a MiB at a time by `substring`, which decompresses a
compressed value from its start for each MiB.
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# The columns as 0016 made them, and as this migration puts them.
BEFORE = (
    "id",
    "sid",
    "account_sid",
    "service_sid",
    "conversation_sid",
    "message_sid",
    "content_type",
    "filename",
    "size",
    "content",
    "date_created",
    "date_updated",
)
CONTENT_LAST = (*(name for name in BEFORE if name != "content"), "content")


def _rebuild(order: tuple[str, ...]) -> None:
    """Copy `media` into a new table of the columns in `order` (SQLite only)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("media", recreate="always", partial_reordering=[order]):
        pass


def _storage(kind: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE media ALTER COLUMN content SET STORAGE {kind}")


def upgrade() -> None:
    _rebuild(CONTENT_LAST)
    _storage("EXTERNAL")


def downgrade() -> None:
    _rebuild(BEFORE)
    _storage("EXTENDED")
