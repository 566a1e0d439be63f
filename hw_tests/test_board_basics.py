"""The first board checks (the full suite arrives with its own issue): audio devices and models."""

from __future__ import annotations

import pytest

from runtime.audio.devices import has_input_device, has_output_device
from runtime.models import ModelCatalog


@pytest.mark.audio
def test_a_microphone_is_present():
    if not has_input_device():
        pytest.skip("no capture device found by PortAudio (is the USB microphone plugged in?)")


@pytest.mark.audio
def test_a_speaker_is_present():
    if not has_output_device():
        pytest.skip("no playback device found by PortAudio (is the speaker or HDMI audio connected?)")


@pytest.mark.compute
def test_every_installed_model_matches_its_manifest():
    catalog = ModelCatalog.load()
    available = [e for e in catalog.entries if e.available]
    assert available, "no model of the manifest is installed"
    for entry in available:
        catalog.verify(entry)
