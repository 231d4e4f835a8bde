"""the language a resident reads pages in (apart from the language of classes), and course translations

Revision ID: f5d8b0e2a604
Revises: e4c7a9d1f503
Create Date: 2026-12-03 17:10:00
"""

import sqlalchemy as sa
from alembic import op

import skills_hub.extensions

revision = 'f5d8b0e2a604'
down_revision = 'e4c7a9d1f503'
branch_labels = None
depends_on = None
UTC_DATETIME = skills_hub.extensions.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_language', sa.String(length=10), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('course_title_translated', sa.String(length=200), nullable=True))
    op.create_table(
        'course_translations',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('course_id', sa.Uuid(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.Column('translated_by', sa.String(length=200), nullable=False),
        sa.Column('reviewed_by', sa.String(length=200), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('updated_at', UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_translations_course_id_courses'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_course_translations')),
        sa.UniqueConstraint('course_id', 'language', name=op.f('uq_course_translations_course_id_language')),
    )
    op.create_index(op.f('ix_course_translations_course_id'), 'course_translations', ['course_id'])
    op.create_table(
        'lesson_translations',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('lesson_id', sa.Uuid(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('body_markdown', sa.Text(), nullable=False),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.Column('translated_by', sa.String(length=200), nullable=False),
        sa.Column('reviewed_by', sa.String(length=200), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('updated_at', UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_translations_lesson_id_lessons'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_translations')),
        sa.UniqueConstraint('lesson_id', 'language', name=op.f('uq_lesson_translations_lesson_id_language')),
    )
    op.create_index(op.f('ix_lesson_translations_lesson_id'), 'lesson_translations', ['lesson_id'])


def downgrade() -> None:
    op.drop_table('lesson_translations')
    op.drop_table('course_translations')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('course_title_translated')
        batch_op.drop_column('language')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('page_language')
