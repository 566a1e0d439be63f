"""Mandarin speech: text made speakable, the Kokoro voice heard back by Whisper, the voice chosen for zh,
and espeak-ng never given a Han character."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from runtime.asr.scoring import edit_distance
from runtime.composition.backends import describe_synthesizer, make_synthesizer
from runtime.models.manifest import ModelCatalog
from runtime.tts.clauses import shorter_clauses, spoken_length
from runtime.tts.kokoro_tts import SAMPLES_PER_FRAME, phoneme_timings, token_pieces
from runtime.tts.zh_normalise import cardinal, speakable_zh
from tests.conftest import REPO

HAN = re.compile(r"[\u3400-\u9fff]")


# --- speakable Mandarin (pure) -------------------------------------------------------------------

@pytest.mark.parametrize("n, said", [(0, "零"), (2, "二"), (10, "十"), (12, "十二"), (20, "二十"), (110, "一百一十"),
                                     (1005, "一千零五"), (1050, "一千零五十"), (2000, "两千"), (10010, "一万零一十"),
                                     (20000, "两万"), (100500, "十万零五百"), (100000000, "一亿")])
def test_cardinals(n, said):
    assert cardinal(n) == said


@pytest.mark.parametrize("written, said", [
    ("营业时间9:00-17:00。", "营业时间九点到十七点。"),
    ("现在是14:30，2:05集合", "现在是十四点三十分，两点零五分集合"),
    ("2024年5月1日", "二零二四年五月一日"),
    ("2024-05-01开业", "二零二四年五月一日开业"),
    ("洗手间在3F，美食在L5。", "洗手间在三楼，美食在五楼。"),
    ("停车场在B1和B2层", "停车场在地下一层和地下二层"),
    ("3楼和3层", "三楼和三层"),
    ("门票¥25.5，儿童票15元，2元", "门票二十五点五元，儿童票十五元，两元"),
    ("打八折，即80%的价格", "打八折，即百分之八十的价格"),
    ("12.5％", "百分之十二点五"),
    ("客服电话400-820-1234", "客服电话四零零八二零幺二三四"),
    ("手机13800138000", "手机幺三八零零幺三八零零零"),
    ("热线是 95588", "热线是 九五五八八"),
    ("请拨打 010-12345678", "请拨打 零幺零幺二三四五六七八"),
    ("约100-200元", "约一百到二百元"),
    ("有2个入口，第2个在2楼", "有两个入口，第二个在二楼"),
    ("人口1,200人，面积3.5平方公里", "人口一千二百人，面积三点五平方公里"),
    ("$30", "三十美元"),
    ("没有数字的句子。", "没有数字的句子。"),
])
def test_speakable_mandarin(written, said):
    assert speakable_zh(written) == said


def test_nothing_the_voice_cannot_read_is_left():
    text = "营业时间9:00-22:00，停车场B2，每小时¥10，满200元免2小时，折扣15%，电话021-62345678。"
    assert not re.search(r"[0-9%¥$]", speakable_zh(text))


# --- the pieces the Kokoro voice is given (pure) ----------------------------------------------------

def test_a_long_sentence_goes_clause_by_clause_and_a_short_one_whole():
    long = "地下二层和三层是停车场，前两个小时免费，之后每小时十元，消费满两百元可以再免两小时。"
    pieces = shorter_clauses(long, 70)
    assert "".join(pieces) == long and len(pieces) > 1
    assert all(spoken_length(p) <= 70 for p in pieces)
    assert shorter_clauses("洗手间在三楼。", 70) == ["洗手间在三楼。"]


def test_phonemes_over_the_models_limit_are_cut_after_a_pause_or_a_word():
    phonemes = list(("ni↗n xau↓, " * 80).strip())
    pieces = token_pieces(phonemes, limit=100)
    assert sum(map(len, pieces)) == len(phonemes) and all(len(p) <= 100 for p in pieces)
    assert all(p[-1] in ", " for p in pieces[:-1])


def test_phoneme_times_come_from_the_durations_and_the_silence_around_is_trimmed():
    phonemes = list("ni↗n")
    frames = np.array([10, 2, 3, 1, 2, 12], dtype=np.float32)          # pads first and last
    audio = np.zeros(int(frames.sum()) * SAMPLES_PER_FRAME, np.float32)
    trimmed, timings = phoneme_timings(phonemes, frames, audio)
    assert [t.phoneme for t in timings] == phonemes
    assert timings[0].start == pytest.approx(0.05)                    # 2 frames of lead-in kept
    assert timings[-1].end == pytest.approx(0.05 + 8 * 0.025)
    assert len(trimmed) == (2 + 8 + 2) * SAMPLES_PER_FRAME
    _, none = phoneme_timings(phonemes, frames[:-1], audio)            # durations that do not fit
    assert none is None


@pytest.fixture(scope="module")
def zh_phonemes():
    from runtime.tts.zh_phonemes import KokoroZhPhonemes, missing_front_end
    if missing_front_end():
        pytest.skip(f"the Mandarin front end is not installed ({', '.join(missing_front_end())})")
    return KokoroZhPhonemes()


def test_kokoro_phonemes_carry_tone_sandhi(zh_phonemes):
    assert zh_phonemes("你好") == "ni↗xau↓"                               # 3-3 → 2-3
    assert "ʨjou↗tjɛ↓n" in zh_phonemes("九点开门")                          # not 酒店 (jiu3 dian4)
    assert zh_phonemes("不对") == "pu↗twei↘"                              # 不 before a 4th tone
    assert zh_phonemes("请问洗手间在哪里？在三楼。").endswith("? ʦai↘ sa→n lou↗.")


def test_every_common_character_has_phonemes(zh_phonemes):
    table = (REPO / "runtime" / "dialogue" / "lexicon" / "hanzi_syllables.txt").read_text(encoding="utf-8")
    characters = HAN.findall(table)
    assert len(characters) > 6000
    assert all(zh_phonemes(c) for c in characters)
    assert zh_phonemes("嗯嗯，好的") == "n↗n↗, xau↓ tɤ"                    # 嗯 has no final in pypinyin


# --- espeak-ng, the last fallback: pinyin, never characters -----------------------------------------

def test_espeak_pinyin_has_tone_numbers_and_no_characters():
    from runtime.tts.zh_phonemes import espeak_pinyin
    said = espeak_pinyin(speakable_zh("请问洗手间在哪里？在3F。"))
    assert said == "qing3 wen4 xi3 shou3 jian1 zai4 na3 li3 ? zai4 san1 lou2 ."
    assert not HAN.search(said)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng comes from apt (scripts/setup.sh)")
def test_espeak_is_given_pinyin_for_the_pinyin_voice(monkeypatch):
    from runtime.tts.espeak_tts import EspeakSynthesizer
    commands = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        commands.append(args)
        return real_run(args, **kwargs)
    monkeypatch.setattr(subprocess, "run", spy)
    voice = EspeakSynthesizer("zh")
    segments = list(voice.synthesize("您好！洗手间在B1，营业到22:00。"))
    assert [s.text for s in segments] == ["您好！", "洗手间在B1，营业到22:00。"]
    assert all(s.audio.seconds > 0.3 for s in segments)
    assert commands and all(c[c.index("-v") + 1] == "cmn-latn-pinyin" for c in commands)
    assert not any(HAN.search(arg) for c in commands for arg in c), commands
    assert "di4 xia4 yi1 ceng2" in commands[-1][-1] and "er4 shi2 er4 dian3" in commands[-1][-1]


# --- which voice speaks Mandarin ---------------------------------------------------------------------

def _kokoro_installed(catalog) -> bool:
    from runtime.tts.zh_phonemes import missing_front_end
    entry = catalog.by_id("kokoro-82m-zh")
    return entry is not None and entry.available and not missing_front_end()


def test_mandarin_is_spoken_by_kokoro_when_installed(catalog):
    if not _kokoro_installed(catalog):
        pytest.skip("the Kokoro voice is not installed (scripts/setup.sh installs it)")
    assert describe_synthesizer(catalog, "zh") == ("kokoro", 24000)
    assert describe_synthesizer(catalog, "en")[0] == "piper"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng comes from apt (scripts/setup.sh)")
def test_without_kokoro_mandarin_falls_back_to_espeak_pinyin(catalog, monkeypatch):
    without = ModelCatalog([e for e in catalog.entries if e.engine != "kokoro"])
    assert describe_synthesizer(without, "zh") == ("espeak-ng", 22050)
    voice = make_synthesizer(without, "zh")
    assert voice.name == "espeak-ng" and voice._voice == "cmn-latn-pinyin"
    import runtime.tts.zh_phonemes as zh_phonemes
    monkeypatch.setattr(zh_phonemes, "missing_front_end", lambda: ["misaki"])   # the model without its front end
    assert describe_synthesizer(catalog, "zh")[0] == "espeak-ng"


def test_a_mandarin_piper_voice_in_a_models_folder_wins(catalog, tmp_path):
    """An admin's (or a voice bundle's) Piper zh voice comes before the built-in Kokoro voice."""
    piper = catalog.by_id("piper-en_US-joe-medium")
    if piper is None or not piper.available:
        pytest.skip("the Piper voice package is not installed")
    files = "\n".join(f"      - {{path: {f.path.name}, sha256: {f.sha256}}}" for f in piper.files)
    (tmp_path / "manifest.yaml").write_text(
        "version: 1\nmodels:\n  - id: piper-zh-stand-in\n    kind: tts\n    engine: piper\n    language: zh\n"
        f"    location: {{path: {piper.root}}}\n    files:\n{files}\n    licence: MIT (stand-in for a zh voice)\n",
        encoding="utf-8")
    with_folder = ModelCatalog.load(tmp_path)
    assert describe_synthesizer(with_folder, "zh") == ("piper", 22050)
    assert make_synthesizer(with_folder, "zh").name == "piper"


# --- the Kokoro voice, heard by Whisper (real models, slow) -----------------------------------------

ANSWERS = ["请问洗手间在哪里？洗手间在三楼电梯旁边。",
           "美食广场在四楼，五楼还有二十多家餐厅。",
           "您好！我是数字导览员，有什么可以帮您？"]
MAX_CER = 0.1


@pytest.fixture(scope="module")
def kokoro(catalog):
    if not _kokoro_installed(catalog):
        pytest.skip("the Kokoro voice is not installed (scripts/setup.sh installs it)")
    return make_synthesizer(catalog, "zh", threads=1)


@pytest.fixture(scope="module")
def whisper_zh(catalog, tmp_path_factory):
    from runtime.asr.whisper_asr import load_whisper
    entry = catalog.by_id("whisper-base")
    if entry is None or not entry.available:
        pytest.skip("whisper-base packages are not installed")
    return load_whisper(entry, "zh", threads=1, cache=tmp_path_factory.mktemp("model-cache"))


def _hanzi(text: str) -> str:
    """Simplified characters only, numbers as words: what the CER is counted on."""
    import opencc
    return "".join(HAN.findall(speakable_zh(opencc.OpenCC("t2s").convert(text))))


@pytest.mark.slow
def test_whisper_understands_the_kokoro_voice(kokoro, whisper_zh):
    pytest.importorskip("opencc", reason="opencc (test extra) turns Whisper's Traditional characters Simplified")
    from runtime.audio.chunk import concat
    errors = total = 0
    heard_all = []
    for answer in ANSWERS:
        segments = list(kokoro.synthesize(answer))
        audio = concat([s.audio for s in segments]).converted(rate=16000)
        whisper_zh.start()
        whisper_zh.accept(audio)
        heard = whisper_zh.finish()
        errors += edit_distance(_hanzi(answer), _hanzi(heard))
        total += len(_hanzi(answer))
        heard_all.append(heard)
    assert errors / total <= MAX_CER, heard_all


@pytest.mark.slow
def test_with_no_writable_model_cache_the_parts_are_joined_in_memory(catalog, tmp_path, monkeypatch):
    if not _kokoro_installed(catalog):
        pytest.skip("the Kokoro voice is not installed (scripts/setup.sh installs it)")
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("EDGE_AVATAR_CACHE", str(tmp_path / "a-file" / "cache"))     # a read-only root
    voice = make_synthesizer(catalog, "zh", threads=1)
    assert voice.name == "kokoro" and voice.timed
    assert sum(s.audio.seconds for s in voice.synthesize("洗手间在三楼。")) > 1.0


@pytest.mark.slow
def test_the_kokoro_voice_carries_phoneme_times_for_the_mouth(kokoro):
    from runtime.lipsync.visemes import VisemeTrack
    assert kokoro.name == "kokoro" and kokoro.rate == 24000 and kokoro.timed
    segments = list(kokoro.synthesize("您好！营业时间是10:00到22:00，停车场在B2。"))
    assert len(segments) >= 2 and all(s.phonemes for s in segments)
    for s in segments:
        assert s.phonemes[-1].end <= s.audio.seconds + 1e-6
        assert all(a.end <= b.start + 1e-9 for a, b in zip(s.phonemes, s.phonemes[1:]))
    track = VisemeTrack()
    track.add_phonemes(0.0, segments[0].phonemes)        # 您好: n, i (ih), x (kk), a (aa), u (ou)
    assert {"nn", "ih", "kk", "aa"} <= set(track.visemes) and track.visemes[-1] == "sil"
    again = list(kokoro.synthesize("您好！营业时间是10:00到22:00，停车场在B2。"))
    assert all(a.audio.audio == b.audio.audio for a, b in zip(segments, again))   # deterministic


@pytest.mark.slow
def test_a_cached_mandarin_answer_plays_what_kokoro_would_say_and_its_time_is_spoken_live(kokoro, tmp_path):
    from runtime.tts.answer_cache.prepared import PreparedSpeech
    prepared = PreparedSpeech(tmp_path / "answer-cache", 16, {}, live=False)
    voice = prepared.wrap(kokoro)
    prepared.prepare(voice, "sha", ("闭馆了。下次开放是{next_open}。",))
    assert prepared.builder.wait_idle(120) and prepared.builder.built == 2
    cached = list(voice.synthesize("闭馆了。下次开放是明天。"))
    assert voice.counts == {"hits": 2, "misses": 1, "first_piece_hits": 1, "first_piece_misses": 0}
    assert [s.text for s in cached] == ["闭馆了。", "下次开放是", "明天。"]
    [fresh] = kokoro.synthesize_piece("闭馆了。")
    assert cached[0].audio.audio == fresh.audio.audio and cached[0].phonemes == fresh.phonemes
    prepared.close()
