"""A runtime bundle's dependency lock holds edge-avatar's declared dependencies and theirs (markers and
extras honoured), not the admin's whole environment; the kiosk checks only those: extra or missing
unrelated packages are accepted, a declared dependency missing or at another version is refused,
naming it. Environments here are real dist-info folders read by importlib.metadata; the last test
installs real slots with real pip."""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path

import pytest

from fleet import runtime_bundle
from fleet.bundle_verifier import BundleVerifier
from fleet.dependency_lock import build_lock, check_lock, read_lock
from fleet.errors import BundleRejected, FleetError
from fleet.install_state import InstallState
from fleet.installer import BundleInstaller
from fleet.runtime_bundle import build_runtime_bundle, wheel_requirements
from fleet.runtime_slot import RuntimeSlots, TrialTimes
from tests.fleet_fixtures import NOW, RecordingHealthCheck, keys
from tests.runtime_wheels import stand_in_wheel


def _env(folder: Path, dists: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, md.Distribution]:
    """An environment of dist-info folders: name -> (version, its Requires-Dist lines)."""
    for name, (version, requires) in dists.items():
        info = folder / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                       + "".join(f"Requires-Dist: {r}\n" for r in requires))
    return {d.metadata["Name"].lower(): d for d in md.distributions(path=[str(folder)])}


DECLARED = ["numpy>=1.24", "piper-tts[alignment]>=1.3", "winsound-helper>=1; sys_platform == 'win32'",
            "pytest>=8; extra == 'test'"]
ADMIN = {
    "numpy": ("1.26.4", ()),
    "piper-tts": ("1.3.0", ("onnxruntime>=1", "onnx>=1.15; extra == 'alignment'", "flask; extra == 'http'")),
    "onnxruntime": ("1.20.1", ("coloredlogs", "tensorrt>=8; platform_machine == 'nonesuch'")),
    "coloredlogs": ("15.0.1", ()),
    "onnx": ("1.17.0", ()),
    "flask": ("3.0.3", ()),               # installed, but only piper-tts[http] needs it
    "pytest": ("8.3.0", ()),              # a dev tool: only edge-avatar[test]
    "black": ("24.1.0", ()),              # unrelated
}


def test_the_lock_follows_the_declared_dependencies_honouring_markers_and_extras(tmp_path):
    lock = read_lock(build_lock(DECLARED, _env(tmp_path, ADMIN)))
    assert lock == {"numpy": "1.26.4", "piper-tts": "1.3.0", "onnxruntime": "1.20.1", "coloredlogs": "15.0.1",
                    "onnx": "1.17.0"}                       # no flask, pytest, black; no win32 or nonesuch-only one
    with pytest.raises(ValueError, match="numpy is required but not installed here"):
        build_lock(DECLARED, _env(tmp_path / "bare", {k: v for k, v in ADMIN.items() if k != "numpy"}))


def test_the_kiosk_accepts_other_unrelated_packages_and_refuses_a_declared_one_missing_or_at_another_version(tmp_path):
    text = build_lock(DECLARED, _env(tmp_path / "admin", ADMIN)) + "admin-only-tool==2.0\n"   # an older, wider lock
    kiosk = {k: v for k, v in ADMIN.items() if k not in ("black", "pytest", "flask")}
    kiosk |= {"picamera2": ("0.3.1", ()), "onnxruntime": ("1.20.1+cpu", ("coloredlogs",))}    # arm64 build, extras
    assert check_lock(text, DECLARED, _env(tmp_path / "kiosk", kiosk)) == []
    older = _env(tmp_path / "older", {**kiosk, "coloredlogs": ("14.0", ())})
    assert check_lock(text, DECLARED, older) == ["coloredlogs==15.0.1 (here: 14.0)"]
    without = _env(tmp_path / "without", {k: v for k, v in kiosk.items() if k != "onnx"})
    assert check_lock(text, DECLARED, without) == ["onnx==1.17.0 (here: missing)"]


def test_a_runtime_bundle_locks_its_wheels_declared_dependencies_and_a_slot_checks_only_those(tmp_path, monkeypatch):
    """Real wheels, real slots (venv + pip, offline) on this machine's environment as the kiosk's."""
    key, _, trusted = keys(tmp_path)
    wheel = stand_in_wheel(tmp_path / "w1", "2.0.0", "good", ("cryptography>=42", "pytest>=8; extra == 'test'"))
    assert wheel_requirements(wheel) == ["cryptography>=42", "pytest>=8; extra == 'test'"]
    lock = read_lock(runtime_bundle.dependency_lock(wheel))
    assert lock["cryptography"] == md.version("cryptography") and "cffi" in lock     # followed through its own
    assert "pytest" not in lock and "numpy" not in lock                              # not the whole environment
    data = tmp_path / "data"
    installer = BundleInstaller(data, BundleVerifier(trusted), RecordingHealthCheck(),
                                runtime_slots=RuntimeSlots(data, TrialTimes(ready_deadline_s=60.0, settle_s=0.5)))
    real_lock = runtime_bundle.dependency_lock
    monkeypatch.setattr(runtime_bundle, "dependency_lock", lambda w: real_lock(w) + "admin-only-tool==2.0\n")
    out = tmp_path / "ok.bundle"
    build_runtime_bundle(tmp_path, "2.0.0", key, out, wheel=wheel, now=NOW)
    assert installer.install(out, "a" * 64, "runtime", NOW).state == InstallState.INSTALLING   # unrelated: accepted
    missing = stand_in_wheel(tmp_path / "w2", "2.1.0", "good", ("edge-avatar-no-such-dependency>=1",))
    with pytest.raises(FleetError, match="edge-avatar-no-such-dependency is required but not installed"):
        build_runtime_bundle(tmp_path, "2.1.0", key, tmp_path / "no.bundle", wheel=missing, now=NOW)
    monkeypatch.setattr(runtime_bundle, "dependency_lock", lambda w: "edge-avatar-no-such-dependency==1.0\n")
    build_runtime_bundle(tmp_path, "2.1.0", key, tmp_path / "missing.bundle", wheel=missing, now=NOW)
    (data / "runtime-trial.json").unlink()                           # as if 2.0.0 had been judged elsewhere
    with pytest.raises(BundleRejected) as err:
        installer.install(tmp_path / "missing.bundle", "b" * 64, "runtime", NOW)
    assert err.value.reason == "incompatible"
    assert "edge-avatar-no-such-dependency==1.0 (here: missing)" in err.value.detail
