"""Voice files with their phoneme-time outputs, made once in the cache and loaded by path
(runtime/tts/aligned_voice.py; why: docs/speaking.md#memory-by-stage)."""

from __future__ import annotations

from pathlib import Path

import onnxruntime

from runtime.shared.cache_copies import remove_older_copies, remove_partial_writes
from runtime.tts.aligned_voice import aligned_voice, suffixed_voice

REPO = Path(__file__).resolve().parents[1]
INT8_VOICE = REPO / "models_quantized" / "voices" / "en_US-joe-medium-int8.onnx"


def test_a_piper_voice_gets_its_alignment_output_once_and_is_reused(tmp_path):
    made, how = aligned_voice(INT8_VOICE, cache=tmp_path)
    assert made is not None and how in ("made", "already aligned")
    outputs = [o.name for o in onnxruntime.InferenceSession(str(made)).get_outputs()]
    assert len(outputs) == 2, outputs          # the audio and the samples per phoneme id
    again, how_again = aligned_voice(INT8_VOICE, cache=tmp_path)
    assert (again, how_again) == (made, "cached")
    assert not list(tmp_path.rglob("*.tmp")), "no partial file left behind"


def test_an_unwritable_cache_says_why_and_the_caller_falls_back(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    path, why = aligned_voice(INT8_VOICE, cache=blocker / "voices")
    assert path is None and "cannot write the voice cache" in why


def test_a_suffix_is_not_added_to_a_model_without_the_tensor_it_names(tmp_path):
    source = tmp_path / "model.onnx"
    source.write_bytes(b"\x08\x07" + b"x" * 5000)
    path, why = suffixed_voice(source, b"SUFFIX", b"/encoder/Clip_output_0", "durations", cache=tmp_path / "c")
    assert path is None and why.startswith("no /encoder/Clip_output_0")
    source.write_bytes(b"\x08\x07" + b"x" * 3000 + b"/encoder/Clip_output_0" + b"y" * 3000)
    path, how = suffixed_voice(source, b"SUFFIX", b"/encoder/Clip_output_0", "durations", cache=tmp_path / "c")
    assert how == "made" and path.read_bytes() == source.read_bytes() + b"SUFFIX"
    assert suffixed_voice(source, b"SUFFIX", b"/encoder/Clip_output_0", "durations", cache=tmp_path / "c")[1] == "cached"


def test_a_changed_voice_file_replaces_its_older_copy_and_leaves_other_voices_alone(tmp_path):
    cache = tmp_path / "c"
    source = tmp_path / "voice-a.onnx"
    source.write_bytes(b"version one /encoder/Clip_output_0")
    first, _ = suffixed_voice(source, b"S", b"/encoder/Clip_output_0", "durations", cache=cache)
    other = tmp_path / "voice-a-long.onnx"          # a name that begins like it: another voice
    other.write_bytes(b"another voice /encoder/Clip_output_0")
    kept, _ = suffixed_voice(other, b"S", b"/encoder/Clip_output_0", "durations", cache=cache)
    source.write_bytes(b"version two /encoder/Clip_output_0")       # a voice bundle brought a new one
    second, how = suffixed_voice(source, b"S", b"/encoder/Clip_output_0", "durations", cache=cache)
    assert how == "made" and second != first
    assert not first.exists() and second.exists() and kept.exists()


def test_older_copies_are_matched_by_their_whole_name_only(tmp_path):
    made = tmp_path / "jieba-words-0.42-2.table"
    for name in ("jieba-words-0.41-1.table", ".jieba-words-0.41-1.table.9.tmp", "pypinyin-phrases-1.table",
                 made.name):
        (tmp_path / name).write_bytes(b"x")
    assert remove_older_copies(made, r"jieba-words-.+\.table") == [tmp_path / "jieba-words-0.41-1.table"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".jieba-words-0.41-1.table.9.tmp", made.name,
                                                          "pypinyin-phrases-1.table"]


def test_partial_writes_of_a_killed_writer_are_removed_and_nothing_else(tmp_path):
    target = tmp_path / "voice[1]-abc.aligned.onnx"
    for name in (f".{target.name}.x1y2.tmp", f".{target.name}.77.tmp", ".other.onnx.1.tmp", target.name):
        (tmp_path / name).write_bytes(b"x")
    assert remove_partial_writes(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.onnx.1.tmp", target.name]
