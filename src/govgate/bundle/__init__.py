"""Audit bundles: write, sign, read and verify release decisions, offline."""
