"""races and batches: one open referral per resident and service, PINs made when needed

Revision ID: c1a0e7f2b301
Revises: b12b31fe6f0f
Create Date: 2026-12-03 09:10:00
"""

revision = 'c1a0e7f2b301'
down_revision = 'b12b31fe6f0f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
