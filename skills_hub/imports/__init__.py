"""Bulk registration from sign-up sheets typed into a spreadsheet (CSV)."""
