"""account safety: email confirmed before it counts, one-time links tied to the account's state

Revision ID: d2b1f8a3c402
Revises: c1a0e7f2b301
Create Date: 2026-12-03 09:10:01
"""

revision = 'd2b1f8a3c402'
down_revision = 'c1a0e7f2b301'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
