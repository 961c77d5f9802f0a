"""The seL4 platforms an image is built for, and how QEMU boots each of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    arch: str  # smosverify's name (the capDL `arch`)
    platform: str  # seL4's KernelPlatform
    sel4_arch: str  # seL4's KernelSel4Arch
    cross_prefix: str
    images: dict[str, str]  # role ("kernel", "initrd") -> file name under build/images
    build_tools: tuple[tuple[str, str], ...]  # (executable, Debian package)
    qemu: str
    qemu_args: tuple[str, ...]  # before the image arguments
    kernel_patch: str  # the project's fix to the kernel's capDL dump (extract/image), applied to a copy


_COMMON_TOOLS = (("cmake", "cmake"), ("ninja", "ninja-build"), ("cpio", "cpio"), ("xmllint", "libxml2-utils"),
                 ("patch", "patch"))

TARGETS: dict[str, Target] = {
    "x86_64": Target(
        arch="x86_64",
        platform="pc99",
        sel4_arch="x86_64",
        cross_prefix="",
        images={"kernel": "kernel-x86_64-pc99", "initrd": "capdl-loader-image-x86_64-pc99"},
        build_tools=_COMMON_TOOLS + (("gcc", "gcc"), ("g++", "g++")),
        qemu="qemu-system-x86_64",
        qemu_args=("-cpu", "Nehalem,-vme,+pdpe1gb,-xsave,-xsaveopt,-xsavec,-fsgsbase,-invpcid,+syscall,+lm,enforce",
                   "-nographic", "-serial", "mon:stdio", "-m", "size=1G"),
        kernel_patch="x86_64-capdl-dump.patch",
    ),
    "aarch64": Target(
        arch="aarch64",
        platform="qemu-arm-virt",
        sel4_arch="aarch64",
        cross_prefix="aarch64-linux-gnu-",
        images={"kernel": "capdl-loader-image-arm-qemu-arm-virt"},
        build_tools=_COMMON_TOOLS + (("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
                                     ("aarch64-linux-gnu-g++", "g++-aarch64-linux-gnu"),
                                     ("dtc", "device-tree-compiler")),
        qemu="qemu-system-aarch64",
        qemu_args=("-machine", "virt", "-cpu", "cortex-a53", "-nographic", "-m", "size=1024"),
        kernel_patch="aarch64-capdl-dump.patch",
    ),
}

QEMU_PACKAGES = {"qemu-system-x86_64": "qemu-system-x86", "qemu-system-aarch64": "qemu-system-arm"}
