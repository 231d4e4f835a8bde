"""The directory of local training providers (Open Referral UK) and searching it."""
