"""Z3 encodings written as SMT-LIB 2 text: the text is what Z3 solves here and what `emit smt` writes."""
