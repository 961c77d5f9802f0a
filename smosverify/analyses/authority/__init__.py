"""Who can come to hold what: the authority closure and the properties read from it (P1-P3)."""
