"""names as written, branch contact details, referral contact route, certificate status list and identity salt

Revision ID: e4c7a9d1f503
Revises: d2b1f8a3c402
Create Date: 2026-12-03 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e4c7a9d1f503'
down_revision = 'd2b1f8a3c402'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The name as the resident writes it (王秀英, Nguyễn Thị Hương): NULL means "given then family name".
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_as_written', sa.String(length=201), nullable=True))
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('phone', sa.String(length=30), server_default='', nullable=False))
        batch_op.add_column(sa.Column('opening_hours', sa.Text(), server_default='', nullable=False))
    # How the provider should reach the resident: email, phone or through the referring library.
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_route', sa.String(length=20), server_default='', nullable=False))
    # The credential's place in the issuer's revocation status list, and the salt of its identity hash.
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_list_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('identity_salt', sa.String(length=64), nullable=True))
        batch_op.create_index('uq_certificates_status_list_index', ['status_list_index'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_certificates_status_list_index')
        batch_op.drop_column('identity_salt')
        batch_op.drop_column('status_list_index')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('contact_route')
    with op.batch_alter_table('branches', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
        batch_op.drop_column('phone')
        batch_op.drop_column('address')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('name_as_written')
