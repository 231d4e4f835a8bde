"""Outreach: the offline staff page, the sync API it sends through, attendance, and suspected duplicates."""
