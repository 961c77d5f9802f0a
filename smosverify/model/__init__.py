"""The immutable model every loader builds and every analysis and emitter reads."""
