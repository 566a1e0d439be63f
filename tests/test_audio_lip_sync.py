"""Lip sync for speech with no phoneme times: the int8 audio→viseme model in the speaking stage.

What the visitor sees: a Piper answer's mouth shapes, recovered from the audio alone, agree with
the shapes its phoneme alignments give far better than the old loudness rule; an espeak-ng
answer (no alignments) now shows lips closing, teeth and rounding, not only open/half/closed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from runtime.audio.sinks import NullSink
from runtime.lipsync.audio_visemes import load_audio_visemes
from runtime.lipsync.visemes import VisemeTrack
from runtime.models.inference import choose_backend
from runtime.models.manifest import ModelCatalog
from runtime.speaking.speech_output import SpeechOutput

pytestmark = pytest.mark.slow
# Not in the recipe's sentences (templates, pack answers, dictionary words): new text.
UNSEEN = ["Our robot dinosaur roars every fifteen minutes beside the gift shop.",
          "Please keep your belongings with you and mind the gap on the moving walkway.",
          "Fresh mango smoothies are sold by the fountain until nine thirty."]


@pytest.fixture(scope="module")
def lip_sync():
    model = load_audio_visemes(ModelCatalog.load(), choose_backend())
    assert model is not None
    return model


def _agreement(track: VisemeTrack, truth: VisemeTrack, seconds: float) -> float:
    times = np.arange(0.0, seconds, 0.01) + 0.005
    return float(np.mean([track.at(t) == truth.at(t) for t in times]))


def test_visemes_from_audio_agree_with_piper_alignments_far_better_than_loudness(piper_en, lip_sync):
    ours, loud = [], []
    for text in UNSEEN:
        for segment in piper_en.synthesize(text):
            truth, model_track, loud_track = VisemeTrack(), VisemeTrack(), VisemeTrack()
            truth.add_phonemes(0.0, segment.phonemes)
            model_track.add_keys(0.0, lip_sync.keys(segment.audio), segment.audio.seconds)
            loud_track.add_audio(0.0, segment.audio)
            ours.append(_agreement(model_track, truth, segment.audio.seconds))
            loud.append(_agreement(loud_track, truth, segment.audio.seconds))
    assert np.mean(ours) >= 0.55, f"model agrees on {np.mean(ours):.0%} of frames"
    assert np.mean(ours) >= np.mean(loud) + 0.25, f"model {np.mean(ours):.0%} vs loudness {np.mean(loud):.0%}"


def test_an_espeak_answer_gets_real_mouth_shapes_on_the_speaker_time_line(lip_sync):
    from runtime.tts.espeak_tts import EspeakSynthesizer
    synth = EspeakSynthesizer("en")
    text = "Bob mopped the big wet floor, then fed five sheep."
    shapes = {}
    for lip in (lip_sync, None):
        clock = [100.0]
        speech = SpeechOutput({"en": synth}, NullSink(synth.rate), lambda: clock[0], time.perf_counter, lip)
        utterance = speech.say(text, "en")
        assert utterance.done.wait(30)
        keys = speech.viseme_keys(utterance.heard_from, utterance.heard_until + 0.1)
        assert keys[0][0] >= 100_000, "keys sit on the speaker's time line"
        shapes[lip is not None] = {v for _, v in keys}
    assert shapes[False] <= {"sil", "aa", "E", "ih"}                # loudness: open, half, closed
    assert {"PP", "FF"} <= shapes[True] and len(shapes[True]) >= 8  # lips closed for b/m/p, teeth for f


def test_the_model_is_loaded_for_the_first_speech_without_phoneme_times_and_only_then(piper_en):
    """Piper's and Kokoro's segments carry phoneme times: a kiosk speaking with them never pays the
    TFLite runtime and the model (12 MB); the first segment without them loads it, once."""
    from runtime.lipsync.audio_visemes import LoadedWhenNeeded
    from dataclasses import replace

    from runtime.speaking.playback import Playback
    loads = []

    def load():
        loads.append(True)
        return load_audio_visemes(ModelCatalog.load(), choose_backend())
    playback = Playback(NullSink(16000), LoadedWhenNeeded(load))
    timed = list(piper_en.synthesize_piece("Where is the cinema?"))
    assert all(playback.keys(s) is None for s in timed) and not loads
    untimed = replace(timed[0], phonemes=None)             # as espeak-ng gives its segments
    assert playback.keys(untimed) and playback.keys(untimed) and loads == [True]
    failed = Playback(NullSink(16000), LoadedWhenNeeded(lambda: None))
    assert failed.keys(untimed) is None                      # the mouth follows loudness, as before


def test_a_model_that_fails_to_load_when_needed_leaves_the_mouth_to_loudness(caplog):
    import logging

    from runtime.audio.chunk import AudioChunk
    from runtime.lipsync.audio_visemes import LoadedWhenNeeded

    def broken():
        raise RuntimeError("TFLite: bad delegate")
    lazy = LoadedWhenNeeded(broken)
    with caplog.at_level(logging.ERROR):
        assert lazy.keys(AudioChunk(16000, 2, 1, b"\0\0" * 1600)) is None
    assert "bad delegate" in caplog.text and "follows loudness" in caplog.text
