"""Safety under dynamic change (P7): the explored states, their flows and traces."""
