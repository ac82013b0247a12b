"""Reviewers' decisions: replies read, validated, recorded, applied and answered."""
