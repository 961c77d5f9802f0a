"""`smosverify emit smt SYSTEM -o DIR`: every SMT query about SYSTEM as a standalone SMT-LIB 2 file."""

from __future__ import annotations

import click

from smosverify.cli.common import Output, exits_cleanly, system_options, write_directory
from smosverify.load.any import SdfOptions, load_any


@click.command("smt")
@click.argument("system", type=click.Path(dir_okay=False))
@system_options
@click.option("-o", "--output", "out_dir", required=True, type=Output(directory=True),
              help="Directory for the .smt2 files and index.txt (created if missing).")
@exits_cleanly
def emit_smt(system: str, sdf: SdfOptions, out_dir: str) -> None:
    """Write the leakage-bound (P6) and policy (P4) queries about SYSTEM as SMT-LIB 2 files that
    z3 or cvc5 can run on their own, with index.txt listing smosverify's answers."""
    from smosverify.emit.smt import index_text, smt_queries

    model = load_any(system, sdf)
    queries = smt_queries(model)
    files = {q.file: q.text for q in queries} | {"index.txt": index_text(model, queries)}
    write_directory(out_dir, files, f"{len(queries)} SMT-LIB quer{'y' if len(queries) == 1 else 'ies'} and index.txt")
