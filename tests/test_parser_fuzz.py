"""Fuzzing the parsers of outside input the kiosk loads (hypothesis): content packs, avatar packs,
panel profiles and settings files, each mutated from a real, valid one. Every outcome is either a
loaded object or an EdgeAvatarError naming the file; never another exception."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.composition.config import DEFAULT_CONTENT, KioskConfig
from runtime.shared.errors import EdgeAvatarError

values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, width=32)
                      | st.text(max_size=12), lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
mutations = st.lists(st.tuples(st.lists(st.integers(0, 50), min_size=1, max_size=4), st.one_of(values, st.just("<delete>"))),
                     min_size=1, max_size=4)
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


def mutate(tree, path: list[int], value):
    """Walk `path` (indexes into keys/items, modulo their count) and replace or delete what is there."""
    node, parent, key = tree, None, None
    for step in path:
        if isinstance(node, dict) and node:
            parent, key = node, sorted(node, key=str)[step % len(node)]
        elif isinstance(node, list) and node:
            parent, key = node, step % len(node)
        else:
            break
        node = parent[key]
    if parent is None:
        return value if value != "<delete>" else {}
    if value == "<delete>":
        del parent[key]
    else:
        parent[key] = value
    return tree


def _check(load, folder: Path, file: Path, original, muts):
    data = copy.deepcopy(original)
    for path, value in muts:
        data = mutate(data, path, value)
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load()
    except EdgeAvatarError as err:
        assert file.name in str(err) or str(folder) in str(err), f"error does not name the file: {err}"


@pytest.fixture(scope="module")
def content_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pack")
    shutil.copy(DEFAULT_CONTENT / "faq.yaml", folder / "faq.yaml")
    return folder, yaml.safe_load((DEFAULT_CONTENT / "faq.yaml").read_text(encoding="utf-8"))


@FUZZ
@given(mutations)
def test_content_packs(content_copy, muts):
    from runtime.dialogue.content_pack import check_content_pack, load_content_pack
    folder, original = content_copy
    _check(lambda: (load_content_pack(folder), check_content_pack(folder)), folder, folder / "faq.yaml",
           original, muts)


@pytest.fixture(scope="module")
def avatar_copy(tmp_path_factory):
    from runtime.avatar.default_character import build_pack
    folder = build_pack(tmp_path_factory.mktemp("avatar") / "nova", scale=0.25)
    rig = next(folder.glob("*.yaml"))
    return folder, rig, yaml.safe_load(rig.read_text(encoding="utf-8"))


@FUZZ
@given(mutations)
def test_avatar_packs(avatar_copy, muts):
    from runtime.avatar.rig_loader import load_rig
    folder, rig, original = avatar_copy
    _check(lambda: load_rig(folder), folder, rig, original, muts)


@FUZZ
@given(st.sampled_from(["portrait-1080x1920", "lenticular-8view-1080x1920", "looking-glass-portrait-native",
                        "pyramid-1080", "led-fan-1024"]), mutations)
def test_panel_profiles(tmp_path_factory, name, muts):
    from runtime.display.panel_profile import PANELS_DIR, load_profile
    folder = tmp_path_factory.mktemp("panel")
    file = folder / f"{name}.yaml"
    _check(lambda: load_profile(str(file)), folder, file,
           yaml.safe_load((PANELS_DIR / f"{name}.yaml").read_text(encoding="utf-8")), muts)


@FUZZ
@given(mutations)
def test_settings_files(tmp_path_factory, muts):
    from runtime.composition.settings_file import load_settings
    folder = tmp_path_factory.mktemp("settings")
    original = {"lang": "en", "panel": "pyramid-1080", "volume": 0.5, "barge_in": True, "seed": 3,
                "endpoint": {"min_silence_ms": 300}}
    _check(lambda: load_settings(folder / "settings.yaml", KioskConfig()), folder, folder / "settings.yaml",
           original, muts)
