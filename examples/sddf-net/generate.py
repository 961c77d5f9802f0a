"""Build sddf-net.system with sdfgen's sDDF API: a network subsystem and a serial console.

    python examples/sddf-net/generate.py [--out FILE]

Components: a virtio network driver, its RX and TX virtualisers, two clients (alice, bob) each
with an RX copier, and a PL011 serial driver with TX/RX virtualisers that both clients print to.
sdfgen needs a device tree and the sDDF drivers' configuration files; CI has no sDDF checkout,
so this script compiles board.dts with dtc (Debian package device-tree-compiler) and writes the
two minimal driver configurations it needs into a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sdfgen import DeviceTree, Sddf, SystemDescription

HERE = Path(__file__).resolve().parent
PADDR_TOP = 0x6_0000_0000  # end of the board's RAM: sdfgen places DMA buffers below it

# The driver configurations sdfgen reads from an sDDF tree (drivers/<class>/<driver>/config.json):
# the device-tree compatible strings a driver serves and the regions and interrupts it needs.
DRIVERS = {
    "network/virtio": {
        "compatible": ["virtio,mmio"],
        "resources": {
            "regions": [{"name": "regs", "size": 0x1000, "dt_index": 0}, {"name": "hw_ring_buffer", "size": 0x10000}],
            "irqs": [{"dt_index": 0}],
        },
    },
    "serial/arm": {
        "compatible": ["arm,pl011"],
        "resources": {"regions": [{"name": "regs", "size": 0x1000, "dt_index": 0}], "irqs": [{"dt_index": 0}]},
    },
}


def build(work: Path) -> str:
    """The SDF text, built in `work` (a scratch directory)."""
    dtc = shutil.which("dtc")
    if dtc is None:
        raise SystemExit("generate.py needs dtc (apt-get install device-tree-compiler)")
    dtb = work / "board.dtb"
    subprocess.run([dtc, "-q", "-I", "dts", "-O", "dtb", "-o", str(dtb), str(HERE / "board.dts")], check=True)
    for driver, config in DRIVERS.items():
        folder = work / "sddf" / "drivers" / driver
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps(config))

    sdf = SystemDescription(SystemDescription.Arch.AARCH64, PADDR_TOP)
    sddf = Sddf(str(work / "sddf"))
    tree = DeviceTree(dtb.read_bytes())

    def pd(name: str, image: str, priority: int, **kw) -> SystemDescription.ProtectionDomain:
        made = SystemDescription.ProtectionDomain(name, image, priority=priority, **kw)
        sdf.add_pd(made)
        return made

    eth = pd("eth_driver", "eth_driver.elf", 110, budget=100, period=400)
    virt_rx = pd("net_virt_rx", "network_virt_rx.elf", 108, budget=20000)
    virt_tx = pd("net_virt_tx", "network_virt_tx.elf", 109, budget=20000)
    serial_driver = pd("serial_driver", "serial_driver.elf", 200)
    serial_tx = pd("serial_virt_tx", "serial_virt_tx.elf", 199)
    serial_rx = pd("serial_virt_rx", "serial_virt_rx.elf", 198)
    clients = [pd(name, "client.elf", 97, budget=20000) for name in ("alice", "bob")]
    copiers = [pd(f"{c.name}_net_copier", "copy.elf", 98, budget=20000) for c in clients]

    net = Sddf.Net(sdf, tree.node("virtio_mmio@a003e00"), eth, virt_tx, virt_rx)
    serial = Sddf.Serial(sdf, tree.node("pl011@9000000"), serial_driver, serial_tx, virt_rx=serial_rx)
    for client, copier in zip(clients, copiers):
        net.add_client_with_copier(client, copier, mac_addr=f"52:54:01:00:00:0{clients.index(client) + 1}")
        serial.add_client(client)
    if not (net.connect() and serial.connect()):
        raise SystemExit("sdfgen could not connect the sDDF subsystems")
    return sdf.render() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "sddf-net.system")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        text = build(Path(work))
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
