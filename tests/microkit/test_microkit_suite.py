"""The Microkit tool's own SDF test suite, classified by smosverify as the tool classifies it.

seL4/microkit keeps its SDF tests in tool/microkit/tests/sdf/*.system and their expected outcomes
in tool/microkit/tests/test.rs (`check_success`, `check_error` with the message's beginning,
`check_missing`), each under a kernel configuration declared there. This module reads test.rs,
turns each configuration into a `MicrokitBoard` and an architecture, and checks every case: a file
Microkit accepts loads, a file it refuses is an InputError whose message names the same things
(every quoted name or value in Microkit's message, the element clause and position aside).

Runs when SMOSVERIFY_MICROKIT names a Microkit checkout; `python tests/microkit/test_microkit_suite.py
DIR` prints each case and the figures.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from smosverify.errors import InputError
from smosverify.load.microkit.system import read_sdf
from smosverify.load.microkit.checks import check_layout
from smosverify.model.microkit import MicrokitBoard

CHECKOUT = os.environ.get("SMOSVERIFY_MICROKIT")
TESTS = Path("tool/microkit/tests")
ARCHES = {"Aarch64": "aarch64", "Riscv64": "riscv64", "X86_64": "x86_64"}
# Files of the suite test.rs gives no outcome for, with what Microkit does with them (read from
# tool/microkit/src/sdf.rs): an <end> without pd is a missing attribute; a vcpu on cpu 300 makes
# the tool panic (the cpu must fit in a byte). Both refused; the words our message must have.
UNLISTED = {"ch_missing_pd.system": ("pd",), "vm_invalid_vcpu_cpu.system": ("cpu", "300")}


@dataclass(frozen=True)
class Case:
    test: str  # the Rust test function
    file: str
    board: MicrokitBoard
    arch: str
    expected: str | None  # the beginning of Microkit's error, None when it accepts the file


@dataclass(frozen=True)
class Outcome:
    case: Case
    message: str | None  # ours, None when we accept the file

    @property
    def agrees(self) -> bool:
        if self.case.expected is None or self.message is None:
            return self.case.expected is None and self.message is None
        return all(word in self.message for word in named_in(self.case.expected))


def named_in(message: str) -> list[str]:
    """The quoted names and values of a Microkit error, without the element it is reported on
    (we point at it with the position) and the position."""
    problem = re.split(r" on element '| @ |: [\w.]+\.system:", message.removeprefix("Error: "))[0]
    return re.findall(r"'([^'\s]+)'", problem)


def _rust_string(text: str, at: int) -> tuple[str, int]:
    """The Rust string literal (plain or r#"raw"#) starting at `at`, and where it ends."""
    if text.startswith('r#"', at):
        end = text.index('"#', at + 3)
        return text[at + 3:end], end + 2
    assert text[at] == '"', text[at:at + 40]
    out, i = [], at + 1
    while text[i] != '"':
        if text[i] == "\\":
            nxt = text[i + 1]
            if nxt == "\n":  # a line continuation skips the newline and the next line's indentation
                i += 2
                while text[i] in " \t":
                    i += 1
                continue
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out), i + 1


def _config_fields(body: str, configs: dict[str, dict[str, str]]) -> dict[str, str]:
    fields = {}
    base = re.search(r"\.\.(\w+)", body)
    if base:
        fields.update(configs[base.group(1)])
    fields.update(re.findall(r"(\w+):\s*([^,{}\s][^,{}]*?)\s*,", body))
    return fields


def _board(fields: dict[str, str]) -> tuple[MicrokitBoard, str]:
    board = MicrokitBoard(
        cores=int(fields["num_cores"]), domains=int(fields["num_domains"]),
        domain_schedule=int(fields["num_domain_schedules"]), hypervisor=fields["hypervisor"] == "true",
        iommu=fields["iommu"] == "true", smc=fields["arm_smc"] == "Some(true)", user_top=int(fields["vspace_user_top"], 0),
    )
    return board, ARCHES[fields["arch"].rsplit("::", 1)[1]]


def read_cases(test_rs: str) -> list[Case]:
    configs: dict[str, dict[str, str]] = {}
    for name, body in re.findall(r"const (\w+): sel4::Config = sel4::Config \{(.*?)\n\};", test_rs, re.S):
        configs[name] = _config_fields(body, configs)
    cases = []
    for call in re.finditer(r"fn (\w+)\(\)\s*\{\s*check_(success|error|missing)\(\s*&", test_rs):
        test, kind, at = call.group(1), call.group(2), call.end()
        if test_rs.startswith("sel4::Config", at):
            end = test_rs.index("}", at) + 1
            fields = _config_fields(test_rs[at:end], configs)
        else:
            end = re.compile(r"\w+").match(test_rs, at).end()
            fields = configs[test_rs[at:end]]
        strings = []
        at = end
        while (found := re.compile(r"\s*,\s*(r#\"|\")").match(test_rs, at)):
            value, at = _rust_string(test_rs, found.start(1))
            strings.append(value)
        file, *rest = strings
        if kind == "missing":
            expected = f"Error: Missing required attribute '{rest[0]}' on element '{rest[1]}'"
        else:
            expected = rest[0] if kind == "error" else None
        cases.append(Case(test, file, *_board(fields), expected))
    return cases


def classify(path: Path, board: MicrokitBoard, arch: str | None, prefills: Path) -> str | None:
    """Our verdict on one SDF: None when it is valid, else the error with its position."""
    try:
        check_layout(read_sdf(path, None, (prefills,)), board, arch)
    except InputError as err:
        return str(err)
    return None


def run_suite(checkout: Path) -> tuple[list[Outcome], list[tuple[str, str | None]]]:
    """Every case of test.rs with our verdict, and every file test.rs does not name with ours."""
    tests = checkout / TESTS
    cases = read_cases((tests / "test.rs").read_text(encoding="utf-8"))
    outcomes = [Outcome(c, classify(tests / "sdf" / c.file, c.board, c.arch, tests / "prefills")) for c in cases]
    listed = {c.file for c in cases}
    unlisted = [(p.name, classify(p, MicrokitBoard(), None, tests / "prefills"))
                for p in sorted((tests / "sdf").glob("*.system")) if p.name not in listed]
    return outcomes, unlisted


needs_checkout = pytest.mark.skipif(not CHECKOUT, reason="SMOSVERIFY_MICROKIT is not set to a seL4/microkit checkout")


@needs_checkout
def test_every_case_is_classified_as_microkit_does():
    outcomes, _ = run_suite(Path(CHECKOUT))
    assert len(outcomes) == (Path(CHECKOUT) / TESTS / "test.rs").read_text(encoding="utf-8").count("#[test]")  # none skipped over
    wrong = [f"{o.case.test} ({o.case.file}, {o.case.arch}): Microkit: {o.case.expected!r}; ours: {o.message!r}"
             for o in outcomes if not o.agrees]
    assert not wrong, "\n".join(wrong)


@needs_checkout
def test_files_without_an_expected_outcome_are_refused():
    _, unlisted = run_suite(Path(CHECKOUT))
    for name, message in unlisted:
        assert name in UNLISTED, f"{name}: test.rs gives no outcome; read what tool/microkit/src/sdf.rs does with it"
        assert message is not None and all(word in message for word in UNLISTED[name]), (name, message)


def test_the_reader_of_test_rs():
    """On a test.rs of the suite's shape, written here: configurations derived from one another,
    raw strings, line continuations, missing attributes."""
    text = '''
const BASE: sel4::Config = sel4::Config {
    arch: sel4::Arch::Aarch64,
    hypervisor: true,
    iommu: true,
    num_cores: 1,
    num_domains: 16,
    num_domain_schedules: 100,
    arm_smc: None,
    address_space_constants: sel4::AddressSpaceConstants {
        vspace_user_top: 0xffffffffff,
    },
};
const SMP: sel4::Config = sel4::Config {
    num_cores: 4,
    ..BASE
};
    #[test]
    fn test_ok() {
        check_success(&SMP, "ok.system")
    }
    #[test]
    fn test_raw() {
        check_error(&sel4::Config { arch: sel4::Arch::X86_64, iommu: false, ..BASE }, "raw.system", r#"Error: a "quoted"
  line"#)
    }
    #[test]
    fn test_joined() {
        check_error(&BASE, "joined.system", "Error: one \\
                     two")
    }
    #[test]
    fn test_missing() {
        check_missing(&BASE, "missing.system", "id", "end")
    }
'''
    base = MicrokitBoard(user_top=0xFFFFFFFFFF, smc=False)
    assert read_cases(text) == [
        Case("test_ok", "ok.system", MicrokitBoard(cores=4, user_top=0xFFFFFFFFFF, smc=False), "aarch64", None),
        Case("test_raw", "raw.system", MicrokitBoard(iommu=False, user_top=0xFFFFFFFFFF, smc=False), "x86_64", 'Error: a "quoted"\n  line'),
        Case("test_joined", "joined.system", base, "aarch64", "Error: one two"),
        Case("test_missing", "missing.system", base, "aarch64", "Error: Missing required attribute 'id' on element 'end'"),
    ]


def test_what_a_message_must_name():
    assert named_in("Error: invalid attribute 'foo' on element 'protection_domain': x.system:3:5") == ["foo"]
    assert named_in("Error: duplicate irq: 112 in protection domain: 'test2' @ x.system:9:5") == ["test2"]
    assert named_in("Error: Missing required attribute 'id' on element 'end'") == ["id"]
    assert named_in("Error: trigger must be either 'level' or 'edge' on element 'irq'") == ["level", "edge"]
    case = Case("t", "f.system", MicrokitBoard(), "aarch64", "Error: duplicate memory region name 'test'.")
    assert Outcome(case, "duplicate memory_region name 'test' (first at f.system:3:5)").agrees
    assert not Outcome(case, "duplicate memory_region name 'other'").agrees
    assert not Outcome(case, None).agrees
    assert not Outcome(Case("t", "f.system", MicrokitBoard(), "aarch64", None), "an error").agrees


if __name__ == "__main__":
    results, others = run_suite(Path(sys.argv[1]))
    for o in results:
        mark = "ok  " if o.agrees else "DIFF"
        print(f"{mark} {o.case.file} [{o.case.arch}] microkit: {o.case.expected or 'valid'}\n     ours: {o.message or 'valid'}")
    for name, message in others:
        print(f"---- {name} (no outcome in test.rs) ours: {message or 'valid'}")
    valid = [o for o in results if o.case.expected is None]
    print(f"{len(results)} cases ({len({o.case.file for o in results})} files): {len(valid)} valid, {len(results) - len(valid)} invalid per Microkit; "
          f"agree: {sum(o.agrees for o in valid)} valid, {sum(o.agrees for o in results if o.case.expected)} invalid; "
          f"{len(others)} files without an outcome, refused: {sum(m is not None for _, m in others)}")
