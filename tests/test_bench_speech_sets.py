"""bench/asr.py's pure parts: noise mixed under speech at a stated SNR, set discovery, scoring and
what a run report says was dropped (bench/noise_mix.py, bench/speech_sets.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench import noise_mix, speech_sets

SHARED = Path(__file__).resolve().parents[2] / "shared"
RATE = noise_mix.RATE


def syllables(seconds: float = 2.0, seed: int = 1) -> np.ndarray:
    """Speech-like int16: voiced bursts (a few harmonics under an envelope) between near-silences."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 700), 1))
    envelope = (np.sin(2 * np.pi * 2.5 * t) > 0.2).astype(float) * 0.25
    x = voice * envelope + rng.normal(0, 3e-4, len(t))
    return np.round(x * 32767).astype(np.int16)


def real_noises() -> list[Path]:
    return sorted((SHARED / "noise").glob("*.wav"))[:3]


@pytest.mark.parametrize("snr", [10.0, 5.0, 0.0])
def test_mix_snr_over_voiced_frames_is_on_target(snr):
    speech = syllables()
    noise = np.random.default_rng(7).normal(0, 0.05, 5 * RATE)
    m = noise_mix.mix(speech, noise, snr, seed=3)
    assert abs(noise_mix.measured_snr(m, speech) - snr) < 0.5


@pytest.mark.skipif(not real_noises(), reason="../shared/noise is not beside the checkout")
@pytest.mark.parametrize("snr", [10.0, 5.0])
def test_mix_with_real_noise_and_real_speech(tmp_path, snr):
    speech = noise_mix.read_wav16(min((SHARED / "speech" / "cathy-en").glob("*.wav")))
    for path in real_noises():
        m = noise_mix.mix(speech, noise_mix.read_wav16(path), snr, noise_mix.mix_seed(0, path.name, "cathy"))
        assert abs(noise_mix.measured_snr(m, speech) - snr) < 0.5, path.name
        back = noise_mix.read_wav16(noise_mix.write_wav16(tmp_path / "mix.wav", m.samples))
        assert np.array_equal(back, m.samples)


def test_lead_and_tail_are_one_second_of_noise():
    speech = syllables(1.5)
    noise = np.random.default_rng(2).normal(0, 0.05, 4 * RATE)
    m = noise_mix.mix(speech, noise, 10.0, seed=5)
    assert len(m.samples) == len(speech) + 2 * RATE
    assert m.lead_s == m.tail_s == 1.0
    lead, tail = m.samples[:RATE].astype(float), m.samples[-RATE:].astype(float)
    assert np.sqrt(np.mean(lead ** 2)) > 100 and np.sqrt(np.mean(tail ** 2)) > 100   # not silent: noise


def test_excerpt_offset_is_seeded_and_short_noise_loops():
    speech, noise = syllables(1.0), np.random.default_rng(4).normal(0, 0.05, 10 * RATE)
    a, b = noise_mix.mix(speech, noise, 10.0, seed=11), noise_mix.mix(speech, noise, 10.0, seed=11)
    assert a.offset_s == b.offset_s and np.array_equal(a.samples, b.samples)
    assert noise_mix.mix(speech, noise, 10.0, seed=12).offset_s != a.offset_s
    short = noise_mix.mix(speech, noise[:RATE // 2], 10.0, seed=11)       # 0.5 s of noise under a 3 s mix
    assert len(short.samples) == len(speech) + 2 * RATE
    assert noise_mix.mix_seed(0, "cafe.wav", "x/1") == noise_mix.mix_seed(0, "cafe.wav", "x/1")


def test_loud_mix_is_scaled_not_clipped():
    speech = np.round(syllables() * 3.5).clip(-32768, 32767).astype(np.int16)   # peaks near full scale
    noise = np.random.default_rng(9).normal(0, 0.3, 5 * RATE)
    m = noise_mix.mix(speech, noise, 0.0, seed=1)
    assert m.clip_scale < 1.0
    assert np.abs(m.samples.astype(int)).max() < 32767
    assert abs(noise_mix.measured_snr(m, speech) - 0.0) < 0.5


def make_set(root: Path, name: str, items: dict[str, str]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    for stem, text in items.items():
        noise_mix.write_wav16(folder / f"{stem}.wav", syllables(0.5))
        (folder / f"{stem}.txt").write_text(text + "\n")


def test_set_discovery_picks_up_a_new_english_folder(tmp_path):
    make_set(tmp_path, "alpha-en", {"a1": "Hello there.", "a2": "Where is the exit?"})
    make_set(tmp_path, "mandarin-read", {"m1": "你好"})
    make_set(tmp_path, "beta-zh", {"b1": "你好"})
    (tmp_path / "alpha-en" / "orphan.wav").write_bytes(b"")      # no reference: not a test file
    sets = speech_sets.discover_sets(tmp_path)
    assert list(sets) == ["alpha-en"]
    assert [f.id for f in sets["alpha-en"]] == ["a1", "a2"] and sets["alpha-en"][1].reference == "Where is the exit?"
    make_set(tmp_path, "gamma-en", {"g1": "Does that look good."})
    assert list(speech_sets.discover_sets(tmp_path)) == ["alpha-en", "gamma-en"]
    assert list(speech_sets.discover_sets(tmp_path, ["gamma-en"])) == ["gamma-en"]


def test_scoring_as_the_speech_readme_says():
    assert speech_sets.words("God bless 'em, I hope I'll go on!") == ["god", "bless", "em", "i", "hope", "i'll", "go", "on"]
    assert speech_sets.words("Tom, apologized Whittemore.") == ["tom", "apologized", "whittemore"]
    assert speech_sets.word_errors("I don't know why you're here at all.", "i don't know why your here") == (3, 8)
    assert speech_sets.word_errors("Shall I carry you.", "") == (4, 4)


def test_report_reading_hypothesis_latency_and_drops():
    report = {"turns": [{"transcript": "where is", "visemes": [[0, "sil"]],
                         "timings": {"speech_end_ms": 1000, "turn_end_ms": 1320, "asr_final_ms": 1350}},
                        {"transcript": "the exit", "timings": {"speech_end_ms": 3000, "asr_final_ms": None},
                         "dropped_seconds": 0.4}],
              "discarded_turns": 2, "unheard_turns": [{"speech_start_ms": 5, "text": "x"}],
              "ignored_over_speech": 0, "listening": {"voiced_seconds": 3.2, "rate": 16000},
              "dropped": [{"reason": "far talker", "seconds": 0.5}, {"reason": "too short", "seconds": 0.1}]}
    assert speech_sets.hypothesis(report) == "where is the exit"
    assert speech_sets.turn_latencies(report) == [{"speech_end_to_final_ms": 350, "decided_to_final_ms": 30},
                                                  {"speech_end_to_final_ms": None, "decided_to_final_ms": None}]
    drops = speech_sets.dropped(report)
    assert set(drops) == {"discarded_turns", "unheard_turns", "ignored_over_speech", "listening.voiced_seconds",
                          "dropped", "turns[1].dropped_seconds"}
    merged = speech_sets.merge_dropped([drops, {"discarded_turns": 1, "dropped": []}])
    assert merged["discarded_turns"] == 3
    assert merged["dropped"] == {"count": 2, "by_reason": {"far talker": 1, "too short": 1}}
    assert "discarded 3" in speech_sets.brief_dropped(merged)


def test_a_turn_continued_after_a_pause_is_scored_once_in_its_whole_turn():
    """The visitor paused, the answer began and was cut as they went on: the report holds the cut
    turn and the whole one (`continues`, same speech start). The words are scored once."""
    def turn(text, start, continues=False):
        return {"transcript": text, "continues": continues, "timings": {"speech_start_ms": start}}
    report = {"turns": [turn("where is", 500), turn("the bridge", 4000), turn("the bridge built in", 4000, True),
                        turn("the bridge built in nineteen ten", 4000, True), turn("thanks", 9000)]}
    assert speech_sets.hypothesis(report) == "where is the bridge built in nineteen ten thanks"
    assert speech_sets.hypothesis({"turns": [turn("a", 0), turn("b", 0)]}) == "a b"   # not continued: both


def test_summary_pools_sets_and_table_prints():
    row = {"set": "a-en", "backend": "pocketsphinx", "hints": "venue", "condition": "clean", "hypothesis": "x",
           "errors": 1, "words": 4, "raw_errors": 2, "failed": None, "peak_rss_mb": 400.0, "dropped": {},
           "latencies": [{"speech_end_to_final_ms": 300, "decided_to_final_ms": 20}]}
    rows = [row, {**row, "set": "b-en", "errors": 0, "hypothesis": "", "raw_errors": 1},
            {**row, "condition": "cafe@10dB", "errors": 4}]
    summaries = speech_sets.summarise(rows)
    pooled = next(s for s in summaries if s["set"] == "all-en" and s["condition"] == "clean")
    assert (pooled["errors"], pooled["words"], pooled["raw_wer"], pooled["no_transcript"]) == (1, 8, 3 / 8, 1)
    text = speech_sets.format_table(speech_sets.TABLE_HEAD, speech_sets.table_rows(summaries))
    lines = text.splitlines()
    assert "a-en" in lines[2] and "clean" in lines[2] and "all-en" in lines[-1] and "cafe@10dB" in lines[-1]


def test_voiced_seconds_left_out_of_every_turn():
    speech = syllables(2.0)
    spans = noise_mix.voiced_intervals(speech, offset_s=1.0)
    assert spans and spans[0][0] >= 1.0 and spans[-1][1] <= 3.0
    voiced = sum(b - a for a, b in spans)
    assert speech_sets.seconds_outside(spans, []) == pytest.approx(voiced, abs=1e-3)
    assert speech_sets.seconds_outside(spans, [(0.0, 4.0)]) == 0.0
    report = {"turns": [{"timings": {"speech_start_ms": 1000, "speech_end_ms": 2000}}]}
    half = speech_sets.seconds_outside(spans, speech_sets.turn_spans(report))
    assert 0 < half < voiced


def test_whisper_rows_appear_once_run_takes_asr():
    from bench import asr
    assert asr.asr_choices_from_help("  --no-phrase-hints  recognise with ...") == (False, None)
    assert asr.runnable_backends(["pocketsphinx", "whisper-base"], False, None) == {
        "whisper-base": "`edge-avatar run --help` lists no --asr option yet"}
    has, choices = asr.asr_choices_from_help("[--asr {auto,pocketsphinx,whisper-base}] [--vad {silero,webrtc}]")
    assert has and choices == ["auto", "pocketsphinx", "whisper-base"]
    assert asr.runnable_backends(["pocketsphinx", "whisper-base"], has, choices) == {}
    assert asr.kiosk_command(Path("ea"), Path("f.wav"), Path("r.json"), "whisper-base", "venue", True)[-2:] == [
        "--asr", "whisper-base"]
    assert asr.kiosk_command(Path("ea"), Path("f.wav"), Path("r.json"), "pocketsphinx", "none", False)[-1] == \
        "--no-phrase-hints"


def test_a_silent_fallback_to_another_recogniser_shows_in_the_table():
    row = {"set": "a-en", "backend": "whisper-base", "hints": "venue", "condition": "clean", "hypothesis": "x",
           "errors": 0, "words": 1, "failed": None, "dropped": {}, "latencies": [], "asr_reported": "pocketsphinx"}
    summary = next(s for s in speech_sets.summarise([row]) if s["set"] == "a-en")
    assert speech_sets.backend_cell(summary) == "whisper-base (report: pocketsphinx!)"
    assert speech_sets.backend_cell({**summary, "asr_reported": ["whisper-base (int8)"]}) == "whisper-base"


def test_nested_voiced_second_accounting_is_summed_by_path():
    a = {"discarded_turns": 0, "voiced_seconds": {"in": 3.0, "accounted": {"answered": 2.5}, "unaccounted": 0.5}}
    b = {"discarded_turns": 1, "voiced_seconds": {"in": 2.0, "accounted": {"crowd or far talker": 2.0},
                                                  "unaccounted": 0.0}}
    merged = speech_sets.merge_dropped([speech_sets.dropped(a), speech_sets.dropped(b)])
    assert merged == {"discarded_turns": 1, "voiced_seconds.in": 5.0, "voiced_seconds.accounted.answered": 2.5,
                      "voiced_seconds.accounted.crowd or far talker": 2.0, "voiced_seconds.unaccounted": 0.5}
    line = speech_sets.brief_dropped(merged)
    assert "voiced s in 5.0" in line and "voiced s crowd or far talker 2.0" in line and "unaccounted 0.5" in line


def test_mandarin_is_scored_in_characters_as_its_readme_scores_it():
    from bench.speech_sets import char_errors, chars, errors_for, set_language
    assert chars("洗手間在3楼，WiFi！") == ["洗", "手", "间", "在", "三", "楼", "w", "i", "f", "i"]
    assert char_errors("请问洗手间在哪里", "請問洗手間在那裡") == (1, 8)     # 哪 → 那: one edit, script ignored
    assert errors_for("zh") is char_errors
    assert [set_language(n) for n in ("cathy-en", "mandarin-read", "aishell-zh", "notes")] == ["en", "zh", "zh", None]
