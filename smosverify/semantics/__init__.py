"""seL4's authority and flow rules, stated once (see rules.py)."""
