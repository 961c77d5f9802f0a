"""Analyses of the policy alone: its decisions (P4) and the difference of two policies."""
