"""What the accounts domain announces."""

from __future__ import annotations

from skills_hub.residents import signals

learner_held = signals.signal("learner-held", doc="""A registration (sync, sheet) looked like a resident already
registered, so the new record is held for a person to review. Sender: the new learner. Keyword arguments:
candidates (the look-alikes), branch, source ("sync" or "import"), actor.""")
