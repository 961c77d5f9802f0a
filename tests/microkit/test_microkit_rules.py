"""What the Microkit tool accepts and refuses, on SDFs written here (cases of its own suite and of
the issue, rewritten): names in separate namespaces, prefill files, address limits, the board.

Expected outcomes come from the Microkit tool (tool/microkit/src/sdf.rs, tests/test.rs) and the
kernel's constants (libsel4 seL4_UserVSpaceTop), worked out by hand in the comments.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smosverify.errors import InputError
from smosverify.load.microkit.system import load_microkit, read_sdf
from smosverify.load.microkit.checks import check_layout
from smosverify.model.kernel import Right
from smosverify.model.microkit import MicrokitBoard

from .conftest import ALLOW_ALL, write


def sdf(*body: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<system>\n' + "".join(f"    {line}\n" for line in body) + "</system>\n"


def pd(name: str, *inner: str, attrs: str = "") -> str:
    return f'<protection_domain name="{name}"{attrs}><program_image path="{name}.elf" />{"".join(inner)}</protection_domain>'


def verdict(tmp_path: Path, text: str, board: MicrokitBoard = MicrokitBoard(), arch: str | None = None,
            search: tuple[Path, ...] = ()) -> str | None:
    """None when the SDF is valid on `board`, else the error."""
    path = write(tmp_path, "case.system", text)
    try:
        check_layout(read_sdf(path, None, search), board, arch)
    except InputError as err:
        return str(err)
    return None


# -- names: Microkit keeps PD, VM and region names apart --------------------------------------

# seL4/microkit example/timer: a region named like the PD that maps it
TIMER = sdf(
    '<memory_region name="clock" size="0x1000" phys_addr="0x9_000_000" />',
    pd("clock", '<map mr="clock" vaddr="0x2_000_000" perms="rw" cached="false" setvar_vaddr="clock_regs" />',
       '<irq irq="30" id="0" trigger="edge" />'),
)


def test_a_pd_and_a_region_may_share_a_name(tmp_path):
    paths = {"sdf": write(tmp_path, "timer.system", TIMER), "policy": write(tmp_path, "p.pol", ALLOW_ALL),
             "labels": write(tmp_path, "labels.yaml", "components: {clock: a_t}\nregions: {clock: b_t}\n")}
    system = load_microkit(paths["sdf"], paths["policy"], paths["labels"])
    assert list(system.components) == ["clock"] and list(system.regions) == ["clock.memory_region"]
    assert system.components["clock"].sid == "a_t" and system.regions["clock.memory_region"].sid == "b_t"
    assert [m.component for m in system.regions["clock.memory_region"].maps] == ["clock"]
    assert [mr.name for mr in system.microkit.memory_regions] == ["clock"]  # the layout keeps the SDF's names


def test_the_model_name_of_a_renamed_element_binds_too(tmp_path):
    """What `emit microkit --labels-out` writes for a renamed region (its model name) binds it."""
    paths = {"sdf": write(tmp_path, "timer.system", TIMER), "policy": write(tmp_path, "p.pol", ALLOW_ALL),
             "labels": write(tmp_path, "labels.yaml", "components: {clock: a_t}\nregions: {clock.memory_region: c_t}\n")}
    assert load_microkit(paths["sdf"], paths["policy"], paths["labels"]).regions["clock.memory_region"].sid == "c_t"


def test_a_vm_may_be_named_like_a_pd(tmp_path):
    text = sdf(pd("linux", attrs=' priority="10"'),
               pd("vmm", '<virtual_machine name="linux"><vcpu id="0" /></virtual_machine>'))
    paths = {"sdf": write(tmp_path, "vm.system", text), "policy": write(tmp_path, "p.pol", ALLOW_ALL)}
    system = load_microkit(paths["sdf"], paths["policy"], default_sid="a_t")
    assert list(system.components) == ["linux", "vmm", "linux.virtual_machine"]
    assert [(c.target.name, c.rights) for c in system.components["vmm"].caps] == [("linux.virtual_machine", frozenset({Right.CONTROL}))]


def test_names_are_unique_within_a_kind(tmp_path):
    two_vms = sdf(pd("a", '<virtual_machine name="g"><vcpu id="0" /></virtual_machine>'),
                  pd("b", '<virtual_machine name="g"><vcpu id="0" /></virtual_machine>'))
    assert "duplicate virtual_machine name 'g'" in verdict(tmp_path, two_vms)


# -- prefill files: read whenever they are named, as Microkit reads them ------------------------

def prefilled(attrs: str) -> str:
    return sdf(f'<memory_region name="data" {attrs} />', pd("p", '<map mr="data" vaddr="0x1000000" perms="r" />'))


def test_prefill_file_missing_or_empty_even_with_a_size(tmp_path):
    assert "cannot find the prefill file 'nothere.bin'" in verdict(tmp_path, prefilled('size="0x1000" prefill_path="nothere.bin"'))
    write(tmp_path, "empty.bin", "")
    assert "the prefill file 'empty.bin' is empty" in verdict(tmp_path, prefilled('size="0x1000" prefill_path="empty.bin"'))
    write(tmp_path, "big.bin", "x" * 0x1001)
    assert "0x1001 bytes, more than the region's size 0x1000" in verdict(tmp_path, prefilled('size="0x1000" prefill_path="big.bin"'))
    assert verdict(tmp_path, prefilled('size="0x2000" prefill_path="big.bin"')) is None


def test_prefill_files_are_looked_for_in_the_search_paths(tmp_path):
    elsewhere = tmp_path / "build"
    elsewhere.mkdir()
    write(elsewhere, "blob.bin", "y" * 5000)
    assert "cannot find the prefill file 'blob.bin'" in verdict(tmp_path, prefilled('prefill_path="blob.bin"'))
    path = write(tmp_path, "found.system", prefilled('prefill_path="blob.bin"'))
    (mr,) = read_sdf(path, None, (elsewhere,)).memory_regions
    assert mr.size == 0x2000  # 5000 bytes rounded up to pages


def test_a_special_file_is_no_prefill(tmp_path):
    os.mkfifo(tmp_path / "pipe")  # reading it would wait for a writer
    assert f"'pipe' in '{tmp_path}' is not a regular file" in verdict(tmp_path, prefilled('size="0x1000" prefill_path="pipe"'))
    assert "'null' in '/dev' is not a regular file" in verdict(tmp_path, prefilled('size="0x1000" prefill_path="null"'), search=(Path("/dev"),))


# -- addresses: what an address space can map ---------------------------------------------------

def mapped(vaddr: str, size: str = "0x1000", stack: str = "") -> str:
    return sdf(f'<memory_region name="m" size="{size}" />', pd("p", f'<map mr="m" vaddr="{vaddr}" />', attrs=stack))


@pytest.mark.parametrize("arch,last_page,first_refused", [
    # seL4_UserVSpaceTop, its page for the IPC buffer, a guard page, 8 KiB of stack: the first address
    # a PD cannot map is top & ~0xfff - 0x1000 - 0x2000
    ("aarch64", "0xff_ffff_b000", "0xff_ffff_c000"),  # top 0xff_ffff_ffff (hypervisor, 40-bit PA)
    ("x86_64", "0x7fff_ffff_a000", "0x7fff_ffff_b000"),  # top 0x7fff_ffff_efff
    ("riscv64", "0x3f_ffff_a000", "0x3f_ffff_b000"),  # top 0x3f_ffff_efff (Sv39)
])
def test_maps_stop_below_the_stack(tmp_path, arch, last_page, first_refused):
    assert verdict(tmp_path, mapped(last_page), arch=arch) is None
    assert "is not below" in verdict(tmp_path, mapped(first_refused), arch=arch)
    two_pages = verdict(tmp_path, mapped(last_page, size="0x2000"), arch=arch)
    assert "covers" in two_pages and "exceeds the addresses protection_domain 'p' can map" in two_pages


def test_a_bigger_stack_lowers_the_limit_and_a_board_moves_it(tmp_path):
    assert "is not below 0xffffffa000" in verdict(tmp_path, mapped("0xff_ffff_b000", stack=' stack_size="0x4000"'))
    # without hypervisor an AArch64 kernel gives user level 48-bit addresses
    assert verdict(tmp_path, mapped("0x7fff_0000_0000"), MicrokitBoard(hypervisor=False)) is None
    assert verdict(tmp_path, mapped("0x2_0000_0000"), MicrokitBoard(user_top=0x1_FFFF_FFFF)) is not None


def test_a_vm_maps_up_to_the_top(tmp_path):
    vm = sdf('<memory_region name="ram" size="0x1000" />',
             pd("vmm", '<virtual_machine name="g"><vcpu id="0" /><map mr="ram" vaddr="0xff_ffff_f000" /></virtual_machine>'))
    assert verdict(tmp_path, vm) is None  # a guest has no stack or IPC buffer
    assert "0x10000000000" in verdict(tmp_path, vm.replace("0xff_ffff_f000", "0x100_0000_0000"))


def test_a_map_that_wraps_around(tmp_path):
    assert "overflows the 64-bit address range" in verdict(tmp_path, mapped("0x2000", size="0xffff_ffff_ffff_e000"))


def io_mapped(iovaddr: str, size: str = "0x1000", domain_id: str = ' domain_id="1"') -> str:
    return sdf(f'<memory_region name="dma" size="{size}" />',
               f'<io_address_space name="nic" peripheral_id="0:2.0"{domain_id}><iomap mr="dma" iovaddr="{iovaddr}" /></io_address_space>',
               pd("driver", '<map mr="dma" vaddr="0x1000000" />'))


def test_iomaps_fit_the_iommu(tmp_path):
    # the capDL initialiser maps 3 levels of 9 bits over 4 KiB pages: I/O addresses below 2^39
    assert verdict(tmp_path, io_mapped("0x7f_ffff_f000")) is None
    assert "iovaddr 0x8000000000 must be less than 0x8000000000" in verdict(tmp_path, io_mapped("0x80_0000_0000"))
    assert "exceeds the addresses io_address_space 'nic' can map" in verdict(tmp_path, io_mapped("0x7f_ffff_f000", size="0x2000"))
    assert "overflows the 64-bit address range" in verdict(tmp_path, io_mapped("0x1000", size="0xffff_ffff_ffff_f000"))
    assert verdict(tmp_path, io_mapped("0x80_0000_0000"), MicrokitBoard(iommu_bits=48)) is None


def test_an_io_address_space_needs_an_iommu_and_a_domain_id(tmp_path):
    assert "needs a kernel built with IOMMU support" in verdict(tmp_path, io_mapped("0x0"), MicrokitBoard(iommu=False))
    assert "needs a domain_id" in verdict(tmp_path, io_mapped("0x0", domain_id=""))


# -- x86_64: what the kernel's VT-x and physical memory allow -------------------------------------

def test_setvar_region_paddr_needs_a_paddr_on_x86(tmp_path):
    text = sdf('<memory_region name="buf" size="0x1000" />', pd("p", '<setvar symbol="buf_paddr" region_paddr="buf" />'))
    assert verdict(tmp_path, text, arch="aarch64") is None  # the tool allocates one on ARM and RISC-V
    assert "needs a region with a phys_addr; 'buf' has none" in verdict(tmp_path, text, arch="x86_64")
    assert verdict(tmp_path, text.replace('size="0x1000"', 'size="0x1000" phys_addr="0x100000"'), arch="x86_64") is None


def test_no_call_into_a_pd_with_a_vcpu_on_x86(tmp_path):
    text = sdf(pd("vmm", '<virtual_machine name="guest"><vcpu id="0" /></virtual_machine>', attrs=' priority="50"'),
               pd("service", attrs=' priority="10"'),
               '<channel><end pd="service" id="1" pp="true" /><end pd="vmm" id="1" /></channel>')
    assert verdict(tmp_path, text, arch="aarch64") is None
    assert "'service' cannot call (pp) 'vmm', whose virtual machine has a bound vCPU" in verdict(tmp_path, text, arch="x86_64")
    # the VMM may still call out, and be notified
    reverse = text.replace('<end pd="service" id="1" pp="true" /><end pd="vmm" id="1" />', '<end pd="service" id="1" /><end pd="vmm" id="1" pp="true" />')
    assert verdict(tmp_path, reverse.replace('priority="10"', 'priority="60"'), arch="x86_64") is None


def test_x86_interrupts_are_unique_by_vector(tmp_path):
    def two(pin_vector: int, msi_vector: int) -> str:  # I/O APIC pin 4 and an MSI, on different sources
        return sdf(pd("a", f'<irq pin="4" vector="{pin_vector}" id="0" />'), pd("b", f'<irq pcidev="0:3.0" handle="0" vector="{msi_vector}" id="0" />'))

    assert "duplicate interrupt vector 40 in protection_domain 'b'" in verdict(tmp_path, two(40, 40))
    assert verdict(tmp_path, two(40, 41)) is None


# -- the board -------------------------------------------------------------------------------------

def test_at_most_63_pds(tmp_path):
    text = sdf(*(pd(f"p{i}") for i in range(63)))
    assert verdict(tmp_path, text) is None
    more = text.replace("</system>", f"    {pd('p63')}\n</system>")
    assert "64 protection domains; Microkit supports at most 63" in verdict(tmp_path, more)
    assert verdict(tmp_path, more, MicrokitBoard(max_pds=64)) is None


def test_cpus_are_the_boards(tmp_path):
    text = sdf(pd("a", attrs=' cpu="1"'))
    assert "runs on cpu 1, but the board has 1 core(s)" in verdict(tmp_path, text)
    assert verdict(tmp_path, text, MicrokitBoard(cores=2)) is None
    vcpu = sdf(pd("vmm", '<virtual_machine name="g"><vcpu id="0" cpu="3" /></virtual_machine>'))
    assert "vcpu 0 runs on cpu 3" in verdict(tmp_path, vcpu, MicrokitBoard(cores=2))


def domains(*entries: str, attrs: str = "", declared: int = 1) -> str:
    names = "".join(f'<domain name="d{i}" />' for i in range(declared))
    return sdf(f'<domains>{names}<domain_schedule{attrs}>{"".join(entries)}</domain_schedule></domains>',
               pd("p", attrs=' domain="d0"'))


def test_domains_fit_the_kernel(tmp_path):
    one = '<schedule_entry domain="d0" duration="10 ticks" />'
    assert verdict(tmp_path, domains(one)) is None
    assert "not supported on a multicore kernel" in verdict(tmp_path, domains(one), MicrokitBoard(cores=4))
    assert "17 domains, more than the kernel's number of domains, 16" in verdict(tmp_path, domains(one, declared=17))
    assert verdict(tmp_path, domains(one, declared=17), MicrokitBoard(domains=17)) is None
    assert "domain id 16 must be less than" in verdict(tmp_path, domains(one).replace('<domain name="d0" />', '<domain name="d0" id="16" />'))
    # KernelNumDomainSchedules 100: fewer than 100 entries, and index_shift + entries below 100 too
    assert verdict(tmp_path, domains(*[one] * 99)) is None
    assert "100 schedule entries" in verdict(tmp_path, domains(*[one] * 100))
    assert verdict(tmp_path, domains(one, attrs=' index_shift="98"')) is None
    assert "index_shift 99" in verdict(tmp_path, domains(one, attrs=' index_shift="99"'))
    assert verdict(tmp_path, domains(one, attrs=' index_shift="99"'), MicrokitBoard(domain_schedule=101)) is None
    # the schedule starts at index 0 unless told otherwise, so it cannot be empty
    assert "start_index 0 is past the end of the schedule (0 entries)" in verdict(tmp_path, domains())


def test_kernel_features(tmp_path):
    vm = sdf(pd("vmm", '<virtual_machine name="g"><vcpu id="0" /></virtual_machine>'))
    assert "needs a kernel built with hypervisor support" in verdict(tmp_path, vm, MicrokitBoard(hypervisor=False))
    assert "a <virtual_machine> cannot be used on riscv64" in verdict(tmp_path, vm, arch="riscv64")
    smc = sdf(pd("p", attrs=' smc="true"'))
    assert verdict(tmp_path, smc) is None
    assert "needs a kernel that forwards SMC calls" in verdict(tmp_path, smc, MicrokitBoard(smc=False))


# -- values Microkit reads as signed or special --------------------------------------------------

def test_negative_ids_slot_zero_and_pci_fields(tmp_path):
    assert 'id="-1" is out of range (expected 0 to 61)' in verdict(tmp_path, sdf(pd("a", '<irq irq="5" id="-1" />')))
    slot0 = sdf(pd("a", '<cspace><cap_tcb slot="0" pd="b" /></cspace>'), pd("b"))
    assert "holds the Microkit CNode" in verdict(tmp_path, slot0)
    msi = sdf(pd("a", '<irq pcidev="0:-1.0" handle="0" vector="1" id="0" />'))
    assert "the PCI device must be within 0 and 0x1f" in verdict(tmp_path, msi)


# -- the command line ------------------------------------------------------------------------------

def test_board_options_reach_the_loader(tmp_path, run_cli, assert_bad_input):
    path = write(tmp_path, "smp.system", sdf(pd("a", attrs=' cpu="2"')))
    policy = write(tmp_path, "p.pol", ALLOW_ALL)
    assert_bad_input(run_cli("check", path, "--policy", policy, "--default-sid", "a_t"), path, 3, 5, "runs on cpu 2")
    result = run_cli("check", path, "--policy", policy, "--default-sid", "a_t", "--cores", "4", "--lean", "off")
    assert result.exit_code == 0, result.output


def test_board_options_go_with_an_sdf(small_system, run_cli):
    result = run_cli("check", small_system, "--no-iommu")
    assert result.exit_code == 2 and "--iommu" in result.stderr and "with a Microkit SDF" in result.stderr


def test_numbers_beyond_64_bits_and_negative_durations(tmp_path):
    huge = "9" * 5000  # more decimal digits than Python converts
    message = verdict(tmp_path, sdf(pd("a", attrs=f' priority="{huge}"')))
    assert 'priority="' + "9" * 40 + '..." is out of range (expected 0 to 254)' in message and len(message) < 300
    entry = '<schedule_entry domain="d0" duration="{}" />'
    assert 'duration="-5 ticks" must be a positive number' in verdict(tmp_path, domains(entry.format("-5 ticks")))
    assert "must be a positive number" in verdict(tmp_path, domains(entry.format(f"{2**64} us")))
    assert verdict(tmp_path, domains(entry.format(f"{2**64 - 1} us"))) is None


def test_a_pd_may_notify_itself(tmp_path):
    """Microkit checks neither end against the other: a channel from a PD to itself only needs two ids."""
    text = sdf(pd("solo"), '<channel><end pd="solo" id="1" /><end pd="solo" id="2" notify="false" /></channel>')
    paths = {"sdf": write(tmp_path, "solo.system", text), "policy": write(tmp_path, "p.pol", ALLOW_ALL)}
    system = load_microkit(paths["sdf"], paths["policy"], default_sid="a_t")
    (note,) = system.notifications.values()
    assert [s for s, _ in note.signallers] == ["solo"] and [w for w, _ in note.waiters] == ["solo"]
    assert "duplicate channel id in 'solo': 1" in verdict(tmp_path, text.replace('id="2"', 'id="1"'))


def test_a_clash_the_model_cannot_rename_is_an_error(tmp_path):
    """A labels object `fs.log` and a region named `fs.log`: both would be the flow node `fs.log`."""
    text = sdf('<memory_region name="fs.log" size="0x1000" />',
               pd("fs", '<map mr="fs.log" vaddr="0x1000000" perms="r" />', attrs=' priority="2"'), pd("app", attrs=' priority="1"'),
               '<channel><end pd="app" id="0" pp="true" /><end pd="fs" id="0" /></channel>')
    paths = {"sdf": write(tmp_path, "fs.system", text), "policy": write(tmp_path, "p.pol", ALLOW_ALL + "class file { read }\n"),
             "labels": write(tmp_path, "labels.yaml", "default_sid: a_t\nobjects:\n  fs:\n    log: {class: file, sid: b_t}\n")}
    with pytest.raises(InputError, match=r"the name 'fs\.log' is used twice .* rename one of them") as err:
        load_microkit(paths["sdf"], paths["policy"], paths["labels"])
    assert err.value.span.file == str(paths["labels"])
