"""Matching: normalised keys, candidates, scores, one-to-one assignment and kits."""
