"""Information flow: the flow graph, its policy, P5 and the leakage bounds of P6."""
