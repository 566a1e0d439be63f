"""rollouts: the console that runs each one (owner) and its last heartbeat, for several consoles on one
database (fleet_area/rollout_owner.py)

Revision ID: c0002
Revises: c0001
"""
import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "c0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rollouts") as t:
        t.add_column(sa.Column("owner", sa.String(64), nullable=True))
        t.add_column(sa.Column("heartbeat_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rollouts") as t:
        t.drop_column("heartbeat_at")
        t.drop_column("owner")
