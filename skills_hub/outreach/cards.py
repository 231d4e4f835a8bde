"""PINs made when needed: a resident registered in a batch (a sync, a sign-up sheet) gets no PIN there; staff make
the PINs for the login cards they hand out, at most MAX_PINS at a time.

A PIN costs a deliberately slow hash (~0.1 s with production settings), so 500 of them inside one batch outlast
the server's timeout, and a batch cut short lost the PINs of what it had saved. Made here, a PIN is shown once
and never stored in clear; a lost answer loses nothing: staff make a new one (audited as a reset).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from skills_hub.accounts import policy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import User
from skills_hub.accounts.permissions import RESET_PIN

MAX_PINS = 50


@dataclass(frozen=True)
class MadePin:
    learner: User
    pin: str

    @property
    def learner_id(self) -> uuid.UUID:
        return self.learner.id

    @property
    def learner_number(self) -> str | None:
        return self.learner.learner_number


def make_pins(actor: User, learner_ids: list[uuid.UUID]) -> list[MadePin]:
    """Each resident's first PIN, or a new one (a reset), in the order asked, each once. Every resident must be
    one the actor may give a PIN to (404 otherwise, 409 for a record held, merged or erased), or none is made.
    Flushes, never commits."""
    policy.require(actor, RESET_PIN)
    wanted = list(dict.fromkeys(learner_ids))
    learners = [policy.learner_for(actor, learner_id, RESET_PIN) for learner_id in wanted]
    return [MadePin(learner, accounts.issue_pin(actor, learner)) for learner in learners]
