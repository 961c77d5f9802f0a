"""Bad SDFs through `smosverify check`: exit 2 and one `error: FILE:LINE:COL: ...` line naming
what is wrong, for malformed XML, XML's traps, and everything the Microkit tool would refuse."""

from __future__ import annotations

import pytest

from .conftest import ALLOW_ALL

BASE = """\
<?xml version="1.0" encoding="UTF-8"?>
<system>
    <memory_region name="buf" size="0x1000" />
    <protection_domain name="client" priority="1">
        <program_image path="client.elf" />
        <map mr="buf" vaddr="0x1000000" perms="rw" />
    </protection_domain>
    <protection_domain name="server" priority="2">
        <program_image path="server.elf" />
        <map mr="buf" vaddr="0x1000000" perms="r" />
    </protection_domain>
    <channel>
        <end pd="client" id="0" pp="true" />
        <end pd="server" id="0" />
    </channel>
</system>
"""
LINES = BASE.splitlines()
SERVER_END = '        <end pd="server" id="0" />\n'
CLOSE = "</system>\n"


def edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def extra_channel(a: str, b: str) -> str:
    return edit(CLOSE, f'    <channel>\n        <end pd="{a}" />\n        <end pd="{b}" />\n    </channel>\n' + CLOSE)


# (case id, SDF text, line, column (or the text the error points at on that line), words in the message)
CASES = [
    # malformed XML and XML's traps
    ("unclosed-element", edit('perms="rw" />', 'perms="rw" >'), 7, "protection_domain>", ["malformed XML", "mismatched tag"]),
    ("duplicate-attribute", edit('priority="1"', 'priority="1" priority="2"'), 4, 'priority="2"', ["malformed XML", "duplicate attribute"]),
    ("undefined-entity", edit('path="client.elf"', 'path="&client;.elf"'), 5, 9, ["malformed XML", "undefined entity"]),
    ("empty-file", "", 1, 1, ["malformed XML", "no element found"]),
    ("junk-after-root", BASE + "<system/>\n", 17, 1, ["malformed XML", "junk after document element"]),
    ("billion-laughs", edit("<system>", '<!DOCTYPE system [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n<system>'),
     2, 1, ["DTD", "not allowed"]),
    ("external-entity", edit("<system>", '<!DOCTYPE system SYSTEM "file:///etc/passwd">\n<system>'), 2, 1, ["DTD"]),
    ("latin1-declaration", BASE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), 1, 1, ["ISO-8859-1", "UTF-8"]),
    ("text-content", edit("<system>\n", "<system>\n    stray words\n"), 3, 5, ["unexpected text 'stray words'"]),
    ("processing-instruction", edit("<system>\n", "<system>\n    <?render fast?>\n"), 3, 5, ["processing instruction", "render"]),
    # structure
    ("wrong-root", BASE.replace("<system>", "<sys>").replace("</system>", "</sys>"), 2, 1, ["expected <system>", "<sys>"]),
    ("unknown-element", edit('<map mr="buf" vaddr="0x1000000" perms="rw" />', '<mapping mr="buf" />'), 6, "<mapping", ["unknown element <mapping>", "protection_domain"]),
    ("unknown-top-element", edit(CLOSE, "    <process name='x' />\n" + CLOSE), 16, 5, ["unknown element <process>", "inside <system>"]),
    ("unknown-attribute", edit('priority="1"', 'priority="1" colour="red"'), 4, "colour", ["unknown attribute 'colour'", "protection_domain"]),
    ("missing-attribute", edit('<map mr="buf" vaddr="0x1000000" perms="rw" />', '<map mr="buf" perms="rw" />'), 6, "<map", ["<map>", "'vaddr'"]),
    ("missing-program-image", edit('        <program_image path="client.elf" />\n', ""), 4, 5, ["client", "no <program_image>"]),
    ("two-program-images", edit('<program_image path="client.elf" />', '<program_image path="a.elf" /><program_image path="b.elf" />'), 5, '<program_image path="b.elf"', ["only once"]),
    ("child-element-in-map", edit('perms="rw" />', 'perms="rw"><irq irq="1" id="1"/></map>'), 6, "<irq", ["<map>", "no child elements"]),
    ("top-level-vm", edit(CLOSE, '    <virtual_machine name="vm"><vcpu id="0"/></virtual_machine>\n' + CLOSE), 16, 5, ["virtual_machine", "inside"]),
    ("three-ends", edit(SERVER_END, SERVER_END + '        <end pd="server" id="1" />\n'), 15, 9, ["exactly two <end>"]),
    ("one-end", edit(SERVER_END, ""), 12, 5, ["exactly two <end>", "has 1"]),
    # values
    ("bad-number", edit('priority="1"', 'priority="low"'), 4, "priority", ["priority=\"low\"", "not a number"]),
    ("priority-out-of-range", edit('priority="2"', 'priority="300"'), 8, "priority", ["out of range", "254"]),
    ("bad-boolean", edit('pp="true"', 'pp="yes"'), 13, "pp=", ["pp=\"yes\"", "true, false"]),
    ("write-only-map", edit('perms="rw"', 'perms="w"'), 6, "perms", ["write without read"]),
    ("bad-perms", edit('perms="rw"', 'perms="rz"'), 6, "perms", ["'r', 'w' and 'x'"]),
    ("budget-above-period", edit('priority="1"', 'priority="1" budget="2000" period="1000"'), 4, 5, ["budget (2000)", "period (1000)"]),
    ("unaligned-size", edit('size="0x1000"', 'size="0x1234"'), 3, "size", ["not a multiple of the page size"]),
    # references and uniqueness
    ("map-undefined-region", edit('<map mr="buf" vaddr="0x1000000" perms="rw" />', '<map mr="nothere" vaddr="0x1000000" />'), 6, 9,
     ["'nothere'", "not a memory_region"]),
    ("channel-undefined-pd", edit('<end pd="server" id="0" />', '<end pd="nobody" id="0" />'), 14, 9, ["'nobody'", "not a protection domain"]),
    ("duplicate-channel-id", edit(CLOSE, '    <channel>\n        <end pd="client" id="0" />\n        <end pd="server" id="1" />\n    </channel>\n' + CLOSE),
     17, 9, ["duplicate channel id in 'client'", "first at", ":13:9"]),
    ("channel-id-clashes-irq", edit('        <map mr="buf" vaddr="0x1000000" perms="r" />\n', '        <map mr="buf" vaddr="0x1000000" perms="r" />\n        <irq irq="40" id="0" />\n'),
     15, 9, ["duplicate channel id in 'server'"]),
    ("duplicate-pd-name", edit('name="server"', 'name="client"'), 8, 5, ["duplicate protection_domain name 'client'"]),
    ("duplicate-region", edit(CLOSE, '    <memory_region name="buf" size="0x1000" />\n' + CLOSE), 16, 5, ["duplicate memory_region name 'buf'"]),
    ("reserved-name", edit('name="server"', 'name="monitor"').replace('pd="server"', 'pd="monitor"'), 8, 5, ["'monitor' is reserved"]),
    ("both-pp", edit('<end pd="server" id="0" />', '<end pd="server" id="0" pp="true" />'), 12, 5, ["pp=\"true\"", "one way"]),
    ("call-to-lower-priority", edit('priority="1"', 'priority="3"'), 13, 9, ["strictly higher priority", "'client' (priority 3)"]),
    # Microkit allows a channel from a PD to itself (to notify itself), but a call needs a higher priority
    ("call-to-itself", edit('<end pd="server" id="0" />', '<end pd="client" id="1" />'), 13, 9, ["strictly higher priority", "'client' (priority 1) calls 'client'"]),
    ("overlapping-maps", edit('<map mr="buf" vaddr="0x1000000" perms="rw" />', '<map mr="buf" vaddr="0x1000000" perms="rw" /><map mr="buf" vaddr="0x1000000" perms="r" />'),
     6, '<map mr="buf" vaddr="0x1000000" perms="r"', ["map of 'buf' [0x1000000..0x1001000) overlaps map of 'buf'", "in protection_domain 'client'"]),
    ("unaligned-vaddr", edit('vaddr="0x1000000" perms="rw"', 'vaddr="0x1000010" perms="rw"'), 6, 9, ["not aligned"]),
    ("duplicate-irq", edit('        <map mr="buf" vaddr="0x1000000" perms="r" />\n', '        <map mr="buf" vaddr="0x1000000" perms="r" />\n        <irq irq="40" id="5" />\n')
     .replace('        <map mr="buf" vaddr="0x1000000" perms="rw" />\n', '        <map mr="buf" vaddr="0x1000000" perms="rw" />\n        <irq irq="40" id="5" />\n'), 12, 9, ["duplicate interrupt irq 40", ":7:9"]),
    ("cspace-undefined-pd", edit('<program_image path="client.elf" />', '<program_image path="client.elf" /><cspace><cap_tcb slot="1" pd="ghost" /></cspace>'),
     5, "<cap_tcb", ["<cap_tcb>", "'ghost'"]),
    ("unsupported-cap", edit('<program_image path="client.elf" />', '<program_image path="client.elf" /><cspace><cap_cnode slot="1" pd="server" /></cspace>'),
     5, "<cap_cnode", ["unknown element <cap_cnode>", "cap_tcb, cap_sc, cap_vspace"]),
    ("setvar-undefined-region", edit('<program_image path="client.elf" />', '<program_image path="client.elf" /><setvar symbol="p" region_paddr="ghost" />'),
     5, "<setvar", ["region_paddr", "'ghost'"]),
    ("duplicate-setvar", edit('perms="rw" />', 'perms="rw" setvar_vaddr="b" setvar_size="b" />'), 6, 9, ["duplicate setvar symbol", "'b'"]),
    ("undeclared-domain", edit('priority="1"', 'priority="1" domain="fast"'), 4, 5, ["domain 'fast'", "declares no <domains>"]),
    ("x86-and-arm", edit('        <map mr="buf" vaddr="0x1000000" perms="r" />\n', '        <map mr="buf" vaddr="0x1000000" perms="r" />\n        <irq irq="40" id="5" />\n        <ioport id="0" addr="0x3f8" size="8" />\n'),
     11, 9, ["<irq irq=...>", "x86_64", "implied by <ioport>"]),
    ("bad-pci-address", edit(CLOSE, '    <io_address_space name="d" peripheral_id="0:40.0" domain_id="1" />\n' + CLOSE), 16, "peripheral_id", ["PCI device must be within 0 and 0x1f"]),
]


@pytest.mark.parametrize("case,sdf,line,col,words", CASES, ids=[c[0] for c in CASES])
def test_bad_sdf(case, sdf, line, col, words, tmp_path, run_cli, assert_bad_input):
    path = tmp_path / "bad.system"
    path.write_text(sdf, encoding="utf-8")
    (tmp_path / "policy.pol").write_text(ALLOW_ALL, encoding="utf-8")
    if isinstance(col, str):
        text = sdf.splitlines()[line - 1]
        assert col in text, (col, text)
        col = text.index(col) + 1
    result = run_cli("check", path, "--policy", tmp_path / "policy.pol", "--default-sid", "a_t")
    assert_bad_input(result, path, line, col, *words)


def test_non_utf8_bytes(tmp_path, run_cli, assert_bad_input):
    path = tmp_path / "bad.system"
    path.write_bytes(BASE.replace("<system>", "<system>\n<!-- caf\xe9 -->").encode("latin-1"))
    (tmp_path / "policy.pol").write_text(ALLOW_ALL, encoding="utf-8")
    result = run_cli("check", path, "--policy", tmp_path / "policy.pol", "--default-sid", "a_t")
    assert_bad_input(result, path, 3, 9, "invalid UTF-8", "0xe9")


def test_nesting_is_bounded(tmp_path, run_cli, assert_bad_input):
    depth = 80
    inner = "".join(f'<protection_domain name="p{i}" id="0"><program_image path="p.elf"/>' for i in range(depth))
    sdf = '<system><protection_domain name="top"><program_image path="p.elf"/>' + inner + "</protection_domain>" * (depth + 1) + "</system>"
    path = tmp_path / "deep.system"
    path.write_text(sdf, encoding="utf-8")
    (tmp_path / "policy.pol").write_text(ALLOW_ALL, encoding="utf-8")
    result = run_cli("check", path, "--policy", tmp_path / "policy.pol", "--default-sid", "a_t")
    assert_bad_input(result, path, 1, None, "nested deeper than 64")


def test_an_sdf_needs_a_policy(tmp_path, run_cli):
    path = tmp_path / "ok.system"
    path.write_text(BASE, encoding="utf-8")
    result = run_cli("check", path)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {path}: an SDF names no policy; pass --policy")


def test_yaml_systems_take_no_sdf_options(small_system, run_cli):
    result = run_cli("check", small_system, "--policy", "x.pol")
    assert result.exit_code == 2 and "with a Microkit SDF" in result.stderr
