"""`edge-avatar say`: a line in the kiosk's own voice, normalisation and settings, in a labelled WAV."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from runtime.cli.main import main
from runtime.rights.labels import wav_label

LINE = "洗手间在3F电梯旁边，营业时间10:00到22:00。"


def _samples(path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16)


def test_say_speaks_a_mandarin_line_as_the_kiosk_does_into_a_labelled_wav(tmp_path, catalog, capsys):
    from runtime.board.defaults import board_defaults, resolve
    from runtime.composition.backends import describe_synthesizer, make_synthesizer
    out = tmp_path / "line.wav"
    assert main(["say", "--lang", "zh", LINE, "--out", str(out)]) == 0
    assert "clause(s)" in capsys.readouterr().out
    rate, said = _samples(out)
    # the very voice `run` loads for zh, with the board's settings: the same samples
    precision, _ = resolve("auto", 0, board_defaults())
    engine, voice_rate = describe_synthesizer(catalog, "zh", precision)
    kiosk = make_synthesizer(catalog, "zh", precision=precision)
    audio = np.concatenate([s.audio.converted(rate=voice_rate, channels=1).samples() for s in kiosk.synthesize(LINE)])
    assert rate == voice_rate and len(said) == len(audio)
    assert np.array_equal(said, audio) or np.abs(said.astype(int) - audio).max() <= 2   # onnxruntime threads
    label = wav_label(out.read_bytes())
    assert label is not None and label["AIGC"]["Label"] == "1", label
    assert engine in ("kokoro", "piper", "espeak-ng")


def test_say_with_an_unknown_voice_names_the_choices(tmp_path, capsys):
    code = main(["say", "--lang", "en", "Hello", "--voice", "nobody", "--out", str(tmp_path / "x.wav")])
    assert code == 2
    assert "--voice nobody: expected a voice for en (" in capsys.readouterr().err


def test_say_refuses_an_empty_text_and_a_non_wav_output(tmp_path, capsys):
    assert main(["say", "--lang", "en", "  ", "--out", str(tmp_path / "x.wav")]) == 2
    assert "expected a text to speak" in capsys.readouterr().err
    assert main(["say", "--lang", "en", "Hello", "--out", str(tmp_path / "x.mp3")]) == 2
    assert "expected a .wav file" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("voice", ["jm_kumo"])
def test_say_takes_a_kokoro_speaker_for_mandarin(tmp_path, voice, catalog):
    from runtime.composition.backends import describe_synthesizer
    if describe_synthesizer(catalog, "zh")[0] != "kokoro":
        pytest.skip("Kokoro is not installed here")
    out = tmp_path / "kumo.wav"
    assert main(["say", "--lang", "zh", "--voice", voice, "请问洗手间在哪里？", "--out", str(out)]) == 0
    assert len(_samples(out)[1]) > 0.5 * 24000
