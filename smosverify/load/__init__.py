"""Syntax to model: YAML systems, the policy language, and other formats."""
