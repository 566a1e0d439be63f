"""Bad input: one clear line naming the file or field, a non-zero exit, and a running kiosk keeps what it had."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.asr.base import ScriptedRecognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.sinks import NullSink
from runtime.audio.sources import WavFileSource
from runtime.conversation.kiosk import Kiosk
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.display.avatar_view import AvatarView
from runtime.display.renderer.display import HeadlessDisplay
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.listening.vad import EnergyVad
from runtime.models.manifest import ModelCatalog
from runtime.shared.durable_files import sha256_file
from runtime.shared.errors import ModelError
from runtime.speaking.speech_output import SpeechOutput
from runtime.tts.base import ToneSynthesizer
from runtime.turn_taking.endpointing import Endpointer
from tests.conftest import write_wav

CLI = [sys.executable, "-m", "runtime"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, timeout=120)


def last_line(done: subprocess.CompletedProcess) -> str:
    return done.stderr.strip().splitlines()[-1]


def admin_models(folder: Path, onnx: Path, sha: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = onnx.with_name(onnx.name + ".json")
    (folder / "manifest.yaml").write_text(
        "models:\n  - id: admin-voice\n    kind: tts\n    engine: piper\n    language: en\n"
        f"    location: {{path: .}}\n    licence: MIT\n    files:\n"
        f"      - {{path: {onnx.name}, sha256: {sha}}}\n"
        f"      - {{path: {config.name}, sha256: {sha256_file(config)}}}\n", encoding="utf-8")
    return folder


@pytest.fixture()
def corrupt_voice_dir(tmp_path, catalog):
    bundled = catalog.find("tts", "en", engine="piper")
    onnx = next(f.path for f in bundled.files if f.path.suffix == ".onnx")
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "voice.onnx").write_bytes(onnx.read_bytes()[: 1 << 20])  # truncated copy
    shutil.copy(onnx.with_name(onnx.name + ".json"), folder / "voice.onnx.json")
    return folder, bundled.files[0].sha256


def test_a_model_failing_its_sha256_is_refused(corrupt_voice_dir):
    folder, good_sha = corrupt_voice_dir
    admin_models(folder, folder / "voice.onnx", good_sha)
    catalog = ModelCatalog.load(folder)
    with pytest.raises(ModelError, match=r"voice.onnx: sha256 .* does not match the manifest"):
        catalog.verify(catalog.find("tts", "en"))
    done = run_cli("models", "--models", str(folder))
    assert done.returncode == 1 and "BAD:" in done.stdout


@pytest.mark.slow
def test_run_with_a_corrupt_voice_exits_with_one_clear_line(corrupt_voice_dir, tmp_path):
    folder, _ = corrupt_voice_dir
    admin_models(folder, folder / "voice.onnx", sha256_file(folder / "voice.onnx"))  # hash matches, file is junk
    question = write_wav(tmp_path / "q.wav", AudioChunk.silence(1.0, 16000))
    done = run_cli("run", "--models", str(folder), "--input", str(question), "--output", "null",
                   "--display", "headless")
    assert done.returncode == 2
    assert "voice.onnx: not a loadable Piper voice" in last_line(done)


def test_a_models_dir_without_manifest_is_named(tmp_path):
    done = run_cli("models", "--models", str(tmp_path))
    assert done.returncode == 2 and f"{tmp_path / 'manifest.yaml'}: a models directory needs" in last_line(done)


def test_a_manifest_with_a_non_commercial_licence_is_refused(tmp_path):
    (tmp_path / "manifest.yaml").write_text(
        "models:\n  - {id: oww, kind: tflite, engine: litert, language: any, location: {path: .},\n"
        "     licence: CC BY-NC-SA 4.0, files: [{path: a.tflite, sha256: " + "0" * 64 + "}]}\n")
    done = run_cli("models", "--models", str(tmp_path))
    assert done.returncode == 2 and "licence: a non-commercial licence cannot ship" in last_line(done)


def test_run_with_a_bad_content_pack_names_file_line_and_field(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "faq.yaml").write_text("venue: {id: x}\nlanguages: [en]\nfallback: {en: Sorry}\n"
                                   "intents:\n  - id: a\n    questions: {en: Hello}\n    answer: {en: Hi}\n")
    done = run_cli("run", "--content", str(pack), "--input", "x.wav", "--output", "null", "--display", "headless")
    assert done.returncode == 2
    assert f"{pack / 'faq.yaml'}:6: intents[0].questions.en: expected a non-empty list" in last_line(done)


def test_run_with_an_unreadable_wav_names_it(tmp_path):
    bad = tmp_path / "question.wav"
    bad.write_text("this is not audio")
    done = run_cli("run", "--input", str(bad), "--output", "null", "--display", "headless")
    assert done.returncode == 2 and f"{bad}: not a readable PCM WAV file" in last_line(done)


def test_unknown_language_is_refused(tmp_path):
    done = run_cli("run", "--lang", "fr", "--input", "x.wav")
    assert done.returncode == 2 and "invalid choice: 'fr'" in done.stderr
    # Mandarin is heard (Whisper base serves zh): the next problem named is the missing input file.
    done = run_cli("run", "--lang", "zh", "--input", "x.wav", "--output", "null", "--display", "headless")
    assert done.returncode == 2 and "x.wav" in last_line(done) and "recogniser" not in last_line(done)


def test_no_speaker_is_a_clear_error(tmp_path):
    question = write_wav(tmp_path / "q.wav", AudioChunk.silence(0.5, 16000))
    done = run_cli("run", "--input", str(question), "--output", "speaker", "--display", "headless")
    assert done.returncode == 2 and "speaker: no audio output device found" in last_line(done)


class _ReloadingSource(WavFileSource):
    """Asks the kiosk to reload content when input time passes `at`."""

    def __init__(self, path, at: float, action):
        super().__init__(path, paced=False, trailing_silence=1.0)
        self._at, self._action = at, action

    def chunks(self):
        for chunk in super().chunks():
            if self._action and chunk.timestamp >= self._at:
                self._action()
                self._action = None
            yield chunk


def test_a_running_kiosk_keeps_its_content_and_voice_when_a_push_is_bad(mall_pack_dir, tmp_path):
    bad_pack = tmp_path / "bad"
    bad_pack.mkdir()
    (bad_pack / "faq.yaml").write_text("venue: {id: broken}\nlanguages: [en]\n")
    tone = AudioChunk.from_float(0.5 * __import__("numpy").ones(16000) * 0.3, 16000)
    gap = AudioChunk.silence(1.5, 16000)
    audio = AudioChunk(16000, 2, 1, gap.audio + tone.audio + gap.audio + tone.audio + gap.audio)
    path = write_wav(tmp_path / "two.wav", audio)
    results = {}
    pack = load_content_pack(mall_pack_dir)
    speech = SpeechOutput({"en": ToneSynthesizer()}, NullSink(16000), lambda: 0.0, time.perf_counter)
    kiosk = None

    def push_bad_things():
        results["content"] = kiosk.reload_content(bad_pack)
        results["voice"] = kiosk.reload_voice(lambda: (_ for _ in ()).throw(ModelError("x.onnx: corrupt")))

    source = _ReloadingSource(path, at=3.0, action=push_bad_things)
    speech._clock = source.now
    listener = Listener(ScriptedRecognizer(["where is the cinema", "where is the atm"]), Endpointer())
    kiosk = Kiosk(source, AudioFrontEnd(EnergyVad()), listener, Responder(pack), speech,
                  AvatarView(HeadlessDisplay(135, 240)), "en", realtime=False,
                  barge_in=None)   # the 2nd question comes while the 1st answer plays: not what this tests
    run = kiosk.run()
    speech.close()
    assert results == {"content": False, "voice": False}
    assert [t["intent"] for t in run.turns] == ["cinema", "atm"], (run.barge_ins, run.backchannels, run.turns)
    assert all(t["pack"] == "mall-demo" and t["audio_seconds"] > 0 for t in run.turns)
