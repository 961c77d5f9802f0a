"""One analysis per module: each is a pure function from the model to a PropertyResult."""
