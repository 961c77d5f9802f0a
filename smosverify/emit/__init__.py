"""Emitters: one writer per output format (capDL, SMT-LIB, Lean, SDF, DOT)."""
