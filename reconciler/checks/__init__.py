"""Accounting rules applied to matched pairs: findings as data, never exceptions."""
