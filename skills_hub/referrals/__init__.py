"""Referrals to local providers: permission to share, the lifecycle, deadlines and outcomes."""
