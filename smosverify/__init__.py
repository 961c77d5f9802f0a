"""smosverify: decide whether an SMOS-style seL4 system enforces its policy."""

__version__ = "0.1.0"
