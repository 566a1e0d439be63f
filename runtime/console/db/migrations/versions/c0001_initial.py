"""users, login sessions, audit log, drafts, rollouts, the cookie secret

Revision ID: c0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "c0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("users",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(64), nullable=False, unique=True),
                    sa.Column("password_hash", sa.String(256), nullable=False),
                    sa.Column("role", sa.String(16), nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table("login_sessions",
                    sa.Column("token", sa.String(64), primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                              nullable=False, index=True),
                    sa.Column("created_at", sa.DateTime, nullable=False),
                    sa.Column("expires_at", sa.DateTime, nullable=False))
    op.create_table("audit_log",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("at", sa.DateTime, nullable=False, index=True),
                    sa.Column("user_name", sa.String(64), nullable=False),
                    sa.Column("action", sa.String(64), nullable=False),
                    sa.Column("target", sa.String(512), nullable=False),
                    sa.Column("detail", sa.Text, nullable=False))
    op.create_table("drafts",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("area", sa.String(32), nullable=False),
                    sa.Column("key", sa.String(256), nullable=False),
                    sa.Column("body", sa.Text, nullable=False),
                    sa.Column("updated_at", sa.DateTime, nullable=False),
                    sa.Column("updated_by", sa.String(64), nullable=False),
                    sa.UniqueConstraint("area", "key", name="uq_drafts_area_key"))
    op.create_table("rollouts",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("bundle_id", sa.String(128), nullable=False),
                    sa.Column("bundle_file", sa.String(512), nullable=False),
                    sa.Column("target", sa.Text, nullable=False),
                    sa.Column("waves", sa.String(128), nullable=False),
                    sa.Column("abort_at", sa.Float, nullable=False),
                    sa.Column("state", sa.String(16), nullable=False),
                    sa.Column("progress", sa.Text, nullable=False),
                    sa.Column("created_by", sa.String(64), nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False),
                    sa.Column("updated_at", sa.DateTime, nullable=False))
    op.create_table("console_secret",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("key", sa.String(128), nullable=False))


def downgrade() -> None:
    for table in ("console_secret", "rollouts", "drafts", "audit_log", "login_sessions", "users"):
        op.drop_table(table)
