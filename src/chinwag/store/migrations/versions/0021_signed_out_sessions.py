"""dashboard sessions ended by signing out

Revision ID: 0021
Revises: 0020

Dashboard sessions are signed cookies (ui/sessions.py); signing out now records the
session's id hash here, so every server refuses the cookie at once instead of
accepting a copy of it until it expires. A row goes when the cookie would have
expired anyway.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_out_sessions",
        sa.Column("session_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_sha256", name=op.f("pk_signed_out_sessions")),
    )


def downgrade() -> None:
    op.drop_table("signed_out_sessions")
