"""What the directory announces."""

from __future__ import annotations

from skills_hub.residents import signals

figures_wanted = signals.signal("directory-figures-wanted", doc="""A directory page shows these organisations'
services and asks how they answer referrals. Sender: a set of organisation ids. Receivers return a dict of
organisation id to figures (with `replies_in`), or {}.""")
