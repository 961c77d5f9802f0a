"""The capDL language as capDL-tool reads it, construct by construct (issue 13).

Expected values follow capDL-tool's own reading (CapDL/Parser.hs, CapDL/MakeModel.hs,
CapDL/State.hs in seL4/capdl), worked out by hand from those sources before running smosverify.
"""

from __future__ import annotations

import pytest

from smosverify.errors import InputError
from smosverify.model.capdl import ObjectType

# -- untyped covers (MakeModel.getUntypedCover) -------------------------------------------------


def test_untyped_covers_braces_names_and_paths(spec_of):
    """Braces list what an untyped covers: names first, then the declarations inside, each
    nested untyped covering its own braces; `a/b/x` makes a cover b and b cover x."""
    spec = spec_of("""arch aarch64
objects {
  f[3] = frame (4k)
  pool = ut (21 bits) {
    f[0..1]
    kid = ep,
    sub = ut (16 bits) { grandkid = notification }
    f[2]
  }
  a/b/x = ep
}""")
    assert spec.covers == {"pool": ("f[0]", "f[1]", "f[2]", "kid", "sub"), "sub": ("grandkid",),
                           "a": ("b",), "b": ("x",)}
    assert spec.objects["a"].type is spec.objects["b"].type is ObjectType.UT


def test_untyped_declared_again_covers_more_and_repeats_count_once(spec_of):
    """A second `ut` declaration of the same name adds to its cover; a child named twice is kept
    once (capDL-tool warns that this is deprecated and drops the repeat)."""
    spec = spec_of("arch riscv objects { u = ut (12 bits) { e } e = ep  n = notification  u = ut { n, e } }")
    assert spec.covers == {"u": ("e", "n")}


def test_an_untyped_without_children_has_no_cover_entry(spec_of):
    """capDL-tool records no cover for an untyped with empty braces or none."""
    spec = spec_of("arch x86_64 objects { u = ut (12 bits) {} v = ut }")
    assert spec.covers == {}


def test_path_inside_braces_chains_from_the_enclosing_untyped(spec_of):
    spec = spec_of("arch x86_64 objects { top = ut { mid/leaf = tcb (addr: 0, affinity: 0) } }")
    assert spec.covers == {"top": ("mid",), "mid": ("leaf",)}


@pytest.mark.parametrize(("text", "message"), [
    ("arch x86_64 objects { e = ep  u = ut { e }  v = ut { e } }", "covered by two untypeds"),
    ("arch x86_64 objects { e = ep { n = notification } }", "only untyped objects .ut. cover"),
    ("arch x86_64 objects { e = ep  e/n = notification }", "not an untyped"),
    ("arch x86_64 objects { u = ut { ghost } }", "undefined object 'ghost'"),
])
def test_bad_covers_are_refused(spec_of, text, message):
    with pytest.raises(InputError, match=message):
        spec_of(text)
