"""`smosverify emit TARGET ...`: one subcommand per emitted artifact (capdl, smt, lean, microkit)."""

from __future__ import annotations

import click


@click.group()
def emit() -> None:
    """Write a system as another artifact: a capDL spec, SMT-LIB queries, a Lean instance, an SDF."""
