"""races and batches: one open referral per resident and service, PINs made when needed

Revision ID: c1a0e7f2b301
Revises: b12b31fe6f0f
Create Date: 2026-12-03 09:10:00

Before the index is made, referrals that broke the rule (made at the same moment by concurrent requests) are
closed: for each resident and service, the oldest open referral stays open and the others become
`entered_in_error`, each with an event saying why, so the index can be created on a live database.
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'c1a0e7f2b301'
down_revision = 'b12b31fe6f0f'
branch_labels = None
depends_on = None

OPEN = ("submitted", "viewed", "accepted", "waitlisted", "in_progress")
IS_OPEN = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"
REASON = "A second open referral to the same service, made at the same moment; closed when the rule was enforced."


def _close_duplicate_open_referrals() -> None:
    connection = op.get_bind()
    referrals = sa.table("referrals", sa.column("id", sa.Uuid()), sa.column("learner_id", sa.Uuid()),
                         sa.column("service_id", sa.Uuid()), sa.column("status", sa.String()),
                         sa.column("created_at", sa.DateTime()), sa.column("closed_at", sa.DateTime()),
                         sa.column("version", sa.Integer()))
    events = sa.table("referral_events", sa.column("id", sa.Uuid()), sa.column("referral_id", sa.Uuid()),
                      sa.column("from_status", sa.String()), sa.column("to_status", sa.String()),
                      sa.column("actor_id", sa.Uuid()), sa.column("reason_code", sa.String()),
                      sa.column("reason", sa.String()), sa.column("at", sa.DateTime()))
    rows = connection.execute(sa.select(referrals.c.id, referrals.c.learner_id, referrals.c.service_id,
                                        referrals.c.status)
                              .where(referrals.c.status.in_(OPEN))
                              .order_by(referrals.c.learner_id, referrals.c.service_id, referrals.c.created_at,
                                        referrals.c.id)).all()
    seen: set[tuple] = set()
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for referral_id, learner_id, service_id, status in rows:
        if (learner_id, service_id) not in seen:
            seen.add((learner_id, service_id))
            continue
        connection.execute(sa.update(referrals).where(referrals.c.id == referral_id).values(
            status="entered_in_error", closed_at=now, version=referrals.c.version + 1))
        connection.execute(sa.insert(events).values(
            id=uuid.uuid4(), referral_id=referral_id, from_status=status, to_status="entered_in_error",
            actor_id=None, reason_code=None, reason=REASON, at=now))


def upgrade() -> None:
    _close_duplicate_open_referrals()
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('uq_referrals_open_learner_service', ['learner_id', 'service_id'], unique=True,
                              postgresql_where=sa.text(IS_OPEN), sqlite_where=sa.text(IS_OPEN))


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('uq_referrals_open_learner_service', postgresql_where=sa.text(IS_OPEN),
                            sqlite_where=sa.text(IS_OPEN))
