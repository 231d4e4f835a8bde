"""account safety: email confirmed before it counts, one-time links tied to the account's state

Revision ID: d2b1f8a3c402
Revises: c1a0e7f2b301
Create Date: 2026-12-03 09:10:01
"""

import sqlalchemy as sa
from alembic import op

import skills_hub.extensions

revision = 'd2b1f8a3c402'
down_revision = 'c1a0e7f2b301'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # When each way of signing in was set: unknown (NULL) for what was set before this.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_set_at', skills_hub.extensions.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('password_set_at', skills_hub.extensions.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('pin_set_at', skills_hub.extensions.UTCDateTime(timezone=True), nullable=True))
    # Links made before this have no state to compare, so they stop working (the longest lived 7 days).
    with op.batch_alter_table('one_time_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('one_time_links', schema=None) as batch_op:
        batch_op.drop_column('state_hash')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('pin_set_at')
        batch_op.drop_column('password_set_at')
        batch_op.drop_column('email_set_at')
