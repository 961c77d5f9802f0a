"""`smosverify emit smt SYSTEM -o DIR`: every SMT query about SYSTEM as a standalone SMT-LIB 2 file."""

from __future__ import annotations

from pathlib import Path

import click

from smosverify.cli.common import exits_cleanly
from smosverify.errors import InputError


@click.command("smt")
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for the .smt2 files and index.txt (created if missing).")
@exits_cleanly
def emit_smt(system: str, out_dir: str) -> None:
    """Write the leakage-bound (P6) and policy (P4) queries about SYSTEM as SMT-LIB 2 files that
    z3 or cvc5 can run on their own, with index.txt listing smosverify's answers."""
    from smosverify.emit.smt import index_text, smt_queries
    from smosverify.load.any import load_any

    model = load_any(system)
    queries = smt_queries(model)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for q in queries:
            (out / q.file).write_text(q.text, encoding="utf-8")
        (out / "index.txt").write_text(index_text(model, queries), encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write the queries under '{out_dir}': {err.strerror}") from None
    click.echo(f"wrote {len(queries)} quer{'y' if len(queries) == 1 else 'ies'} and index.txt to {out}")
