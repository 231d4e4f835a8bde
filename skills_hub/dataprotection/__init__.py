"""Data protection (UK GDPR): subject-access export, erasure, deletion requests and retention."""
