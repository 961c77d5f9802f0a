"""`smosverify graph SYSTEM [--policy P --labels L] [--view authority|flow] [--around C --depth N] -o FILE.dot|.svg`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from smosverify.cli.common import Output, exits_cleanly, system_options, write_output
from smosverify.errors import EnvironmentProblem, InputError
from smosverify.load.any import SdfOptions, load_any


@click.command()
@click.argument("system", type=click.Path(dir_okay=False))
@system_options
@click.option("--view", type=click.Choice(["authority", "flow"]), default="authority", show_default=True,
              help="Caps held (authority) or where information can go (flow).")
@click.option("--around", metavar="COMPONENT", help="Draw only what lies near this component.")
@click.option("--depth", type=click.IntRange(min=0), help="With --around: how many arrows away (default 1).")
@click.option("-o", "--output", required=True, type=Output(directory=False, example="e.g. DIR/graph.svg"),
              help="FILE.dot (Graphviz source) or FILE.svg (drawn with Graphviz's `dot`).")
@exits_cleanly
def graph(system: str, sdf: SdfOptions, view: str, around: str | None, depth: int | None, output: str) -> None:
    """Draw SYSTEM's authority or flow graph, with findings highlighted (docs/graph.md)."""
    from smosverify.analyses.authority.closure import authority_closure
    from smosverify.analyses.flow.graph import flow_graph
    from smosverify.emit.dot import authority_picture, flow_picture, neighbourhood, render_dot

    suffix = Path(output).suffix
    if suffix not in (".dot", ".svg"):
        raise InputError(f"'{output}': the output must end in .dot or .svg")
    if depth is not None and around is None:
        raise InputError("--depth goes with --around COMPONENT")
    dot = shutil.which("dot") if suffix == ".svg" else None
    if suffix == ".svg" and dot is None:
        raise EnvironmentProblem("drawing SVG needs Graphviz's `dot`, which is not on PATH: install Graphviz "
                                 "(Debian/Ubuntu: apt-get install graphviz) or write a .dot file instead")
    model = load_any(system, sdf)
    closure = authority_closure(model)
    flows = flow_graph(model, closure)
    picture = (flow_picture if view == "flow" else authority_picture)(model, closure, flows)
    if around is not None:
        picture = neighbourhood(picture, around, 1 if depth is None else depth)
    text = render_dot(picture)
    what = f"the {view} graph ({len(picture.nodes)} node(s), {len(picture.edges)} arrow(s))"
    write_output(output, text if dot is None else _svg(dot, text), what)


def _svg(dot: str, text: str) -> str:
    try:
        done = subprocess.run([dot, "-Tsvg"], input=text, text=True, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem("Graphviz `dot` took more than 300 s; draw a neighbourhood with --around") from None
    if done.returncode != 0:
        raise EnvironmentProblem(f"Graphviz `dot` failed: {done.stderr.strip()}")
    return done.stdout
