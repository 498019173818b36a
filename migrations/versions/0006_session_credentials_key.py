"""sessions remember which Basic credentials opened them (clients without cookies)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 03:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials_key", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_sessions_credentials_key", ["credentials_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_credentials_key")
        batch_op.drop_column("credentials_key")
