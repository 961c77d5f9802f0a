"""Rendering the SMT-LIB templates in smosverify/smt/templates (deterministic text)."""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("smosverify.smt", "templates"),
        keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False,
    )
    return env.get_template(name)


def render(template: str, **context) -> str:
    """One of the templates, filled in."""
    return _template(template).render(**context)
