"""`smosverify graph SYSTEM [--view authority|flow] [--around C --depth N] -o FILE.dot|.svg`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from smosverify.cli.common import exits_cleanly
from smosverify.errors import EnvironmentProblem, InputError


@click.command()
@click.argument("system", type=click.Path(dir_okay=False))
@click.option("--view", type=click.Choice(["authority", "flow"]), default="authority", show_default=True,
              help="Caps held (authority) or where information can go (flow).")
@click.option("--around", metavar="COMPONENT", help="Draw only what lies near this component.")
@click.option("--depth", type=click.IntRange(min=0), help="With --around: how many arrows away (default 1).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="FILE.dot (Graphviz source) or FILE.svg (drawn with Graphviz's `dot`).")
@exits_cleanly
def graph(system: str, view: str, around: str | None, depth: int | None, output: str) -> None:
    """Draw SYSTEM's authority or flow graph, with findings highlighted (docs/graph.md)."""
    from smosverify.analyses.authority import authority_closure
    from smosverify.analyses.flow_graph import flow_graph
    from smosverify.emit.dot import authority_picture, flow_picture, neighbourhood, render_dot
    from smosverify.load.any import load_any

    suffix = Path(output).suffix
    if suffix not in (".dot", ".svg"):
        raise InputError(f"'{output}': the output must end in .dot or .svg")
    if depth is not None and around is None:
        raise InputError("--depth goes with --around COMPONENT")
    dot = shutil.which("dot") if suffix == ".svg" else None
    if suffix == ".svg" and dot is None:
        raise EnvironmentProblem("drawing SVG needs Graphviz's `dot`, which is not on PATH: install Graphviz "
                                 "(Debian/Ubuntu: apt-get install graphviz) or write a .dot file instead")
    model = load_any(system)
    closure = authority_closure(model)
    flows = flow_graph(model, closure)
    picture = (flow_picture if view == "flow" else authority_picture)(model, closure, flows)
    if around is not None:
        picture = neighbourhood(picture, around, 1 if depth is None else depth)
    text = render_dot(picture)
    try:
        if dot is None:
            Path(output).write_text(text, encoding="utf-8")
        else:
            done = subprocess.run([dot, "-Tsvg", "-o", output], input=text, text=True, capture_output=True, timeout=300)
            if done.returncode != 0:
                raise EnvironmentProblem(f"Graphviz `dot` failed: {done.stderr.strip()}")
    except OSError as err:
        raise InputError(f"cannot write '{output}': {err.strerror}") from None
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem("Graphviz `dot` took more than 300 s; draw a neighbourhood with --around") from None
    click.echo(f"wrote {output} ({len(picture.nodes)} node(s), {len(picture.edges)} arrow(s))")
