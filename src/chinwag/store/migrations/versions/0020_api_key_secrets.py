"""API key secrets kept for Access Token verification

Revision ID: 0020
Revises: 0019

Access Tokens are HS256 JWTs signed with an API key's secret; verifying one needs
the secret itself, not its SHA-256 hash. Keys created before this revision have no
stored secret (NULL): they keep authenticating REST calls through the hash, and
tokens they sign are refused with 20103 saying to create a new key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("secret")
