"""Scenarios for the turn-taking benchmark: what a visitor says and when, with exact ground truth.

A `Timeline` lays out 16 kHz audio (Piper speech as the visitor, silence, synthetic sounds) and
remembers where each thing truly starts and ends, to the sample. `run_kiosk_on` plays a timeline
through the real kiosk loop — the avatar's answers come back into the "microphone" through a
simulated speaker-to-microphone path (`runtime/audio/room_sim.py`: a generated room impulse
response, delayed and attenuated, plus synthetic mall babble), WebRTC AEC3, Silero VAD, the level
gate, the real pocketsphinx recogniser with the venue's phrase hints, the barge-in detector and the
speech output — as fast as possible, and returns the run with its report.
"""

from __future__ import annotations

import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from runtime.audio.chunk import AudioChunk
from runtime.audio.levels import frame_rms, speech_bounds

RATE = 16000


class Voice:
    """The visitor's voice (Piper), cached per text, at a given level."""

    def __init__(self, synth):
        self.synth = synth
        self._cache: dict[str, np.ndarray] = {}

    def say(self, text: str, level: float = 0.6) -> np.ndarray:
        """Piper's speech trimmed to 20 ms around its audible part (Piper pads sentences with quiet),
        so the silences a scenario lays out are the silences the kiosk hears."""
        if text not in self._cache:
            audio = np.concatenate([s.audio.converted(rate=RATE).float_samples()
                                    for s in self.synth.synthesize(text)]).astype(np.float32)
            first, last = speech_bounds(audio, RATE) or (0.0, audio.size / RATE)
            self._cache[text] = audio[max(0, int((first - 0.02) * RATE)): int((last + 0.02) * RATE)]
        return level * self._cache[text]

    def say_with_pause(self, text: str, after_words: int, pause_s: float, level: float = 0.6):
        """The whole sentence as one (its intonation does not fall at the pause), with `pause_s` of
        silence inserted at the word boundary after `after_words` words (from Piper's alignments).
        Returns (first part, second part), each trimmed like `say`. espeak-ng runs some words
        together ("I am" -> aɪɐm, "for the" -> fɚðə): the boundary is found by phonemising the first
        words alone, and a boundary that falls inside such a group is refused."""
        segments = list(self.synth.synthesize(text))
        audio = np.concatenate([s.audio.converted(rate=RATE).float_samples() for s in segments])
        groups = _word_groups(segments)
        words = text.split()
        head = len(_word_groups(list(self.synth.synthesize(" ".join(words[:after_words])))))
        tail = len(_word_groups(list(self.synth.synthesize(" ".join(words[after_words:])))))
        if head + tail != len(groups):
            raise ValueError(f"{text!r}: no word gap after {' '.join(words[:after_words])!r} "
                             f"(espeak-ng runs words together across it: {[g for g, _ in groups]})")
        cut = _quietest(audio, groups[head][1] - 0.06, groups[head][1] + 0.01)
        parts = []
        for part in (audio[:cut], audio[cut:]):
            first, last = speech_bounds(part, RATE) or (0.0, part.size / RATE)
            parts.append(level * part[max(0, int((first - 0.02) * RATE)): int((last + 0.02) * RATE)])
        return parts[0].astype(np.float32), parts[1].astype(np.float32)


def _quietest(audio: np.ndarray, lo_s: float, hi_s: float, window_s: float = 0.01) -> int:
    """The sample where the quietest `window_s` between `lo_s` and `hi_s` begins: alignments are a
    frame or two off, and a cut must not keep the start of the next word."""
    w, lo, hi = int(window_s * RATE), max(0, int(lo_s * RATE)), min(audio.size, int(hi_s * RATE))
    starts = range(lo, max(lo + 1, hi - w), int(0.0025 * RATE))
    return min(starts, key=lambda i: float(np.sum(audio[i:i + w] ** 2))) + w // 2


def _word_groups(segments) -> list[tuple[str, float]]:
    """espeak-ng's word groups in Piper's alignment: (phonemes, start s)."""
    groups, offset = [["", None]], 0.0
    for s in segments:
        for p in s.phonemes or ():
            if p.phoneme == " ":
                groups.append(["", None])
                continue
            if groups[-1][1] is None:
                groups[-1][1] = offset + p.start
            groups[-1][0] += p.phoneme
        offset += s.audio.seconds
    return [(g, t) for g, t in groups if g.strip("^$")]


def cough(rng: np.random.Generator, level: float = 0.3) -> np.ndarray:
    """A cough: two bursts of band-limited noise, 120 and 90 ms."""
    parts = []
    for ms in (120, 60, 90):
        n = int(ms / 1000 * RATE)
        if len(parts) == 1:
            parts.append(np.zeros(n, np.float32))
            continue
        burst = np.convolve(rng.standard_normal(n), np.ones(6) / 6, mode="same") * np.hanning(n)
        parts.append(burst.astype(np.float32))
    out = np.concatenate(parts)
    return (level * out / (np.abs(out).max() + 1e-9)).astype(np.float32)


def babble(voice: Voice, rng: np.random.Generator, seconds: float, level_db: float) -> np.ndarray:
    """Mall crowd: a continuous murmur of overlapping far-away talkers (about three at any time)
    over a room tone 14 dB lower, normalised to `level_db` dBFS RMS; loops without a seam."""
    lines = ["Let's meet at the coffee shop later.", "Did you see the new shoes in that store?",
             "The kids want ice cream again.", "That movie was much better than I expected.",
             "Where did you park the car?", "I think the sale ends on Sunday.",
             "Can you hold my bag for a second?", "We should get dinner upstairs."]
    voices = [np.convolve(voice.say(line, 1.0), np.ones(3) / 3, mode="same") for line in lines]  # far: duller
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    for _ in range(int(seconds / 0.6)):
        v = voices[rng.integers(len(voices))] * rng.uniform(0.4, 1.0)
        at = int(rng.integers(0, n))
        idx = (at + np.arange(v.size)) % n                  # wrap around: a seamless loop
        out[idx] += v
    out /= np.sqrt(np.mean(out ** 2)) + 1e-9
    tone = np.cumsum(rng.standard_normal(n)).astype(np.float32)          # brown-ish room tone
    tone -= np.convolve(tone, np.ones(801) / 801, mode="same")
    tone /= np.sqrt(np.mean(tone ** 2)) + 1e-9
    mixed = out + tone * 10 ** (-14 / 20)
    mixed /= np.sqrt(np.mean(mixed ** 2)) + 1e-9
    return (mixed * 10 ** (level_db / 20)).astype(np.float32)


@dataclass
class Mark:
    """Something the visitor did, at true times (seconds on the input time line)."""

    kind: str              # question / interruption / backchannel / cough / paused-question
    text: str
    start: float           # first sample within 35 dB of its loudest 10 ms
    end: float
    expect: str | None = None   # the intent it should get, if any
    extra: dict = field(default_factory=dict)
    audible: float = 0.0   # first 10 ms louder than the hall's noise (`Timeline.noise_dbfs`)


class Timeline:
    def __init__(self, lead_s: float = 3.0, noise_dbfs: float = -42.0):   # it has heard the hall a while
        self.parts = [np.zeros(int(lead_s * RATE), np.float32)]
        self.t = lead_s
        self.marks: list[Mark] = []
        self.noise_dbfs = noise_dbfs

    def silence(self, seconds: float) -> None:
        self.parts.append(np.zeros(int(round(seconds * RATE)), np.float32))
        self.t += int(round(seconds * RATE)) / RATE

    def add(self, audio: np.ndarray, kind: str, text: str, expect: str | None = None, **extra) -> Mark:
        bounds = speech_bounds(audio, RATE) or (0.0, audio.size / RATE)
        rms = frame_rms(audio, RATE)
        above = np.nonzero(rms > 10 ** (self.noise_dbfs / 20))[0]
        audible = self.t + (above[0] * 0.01 if above.size else bounds[0])
        mark = Mark(kind, text, self.t + bounds[0], self.t + bounds[1], expect, extra, max(audible, self.t + bounds[0]))
        self.marks.append(mark)
        self.parts.append(audio.astype(np.float32))
        self.t += audio.size / RATE
        return mark

    def play(self, audio: np.ndarray) -> float:
        """Audio with no mark of its own (its caller marks it); returns where it starts."""
        at = self.t
        self.parts.append(audio.astype(np.float32))
        self.t += audio.size / RATE
        return at

    def audio(self) -> np.ndarray:
        return np.concatenate(self.parts)


def answer_seconds(voice: Voice, text: str) -> float:
    return voice.say(text).size / RATE


def run_kiosk_on(timeline: Timeline, synth, pack, recognizer, rng: np.random.Generator, echo_db: float,
                 noise: np.ndarray, rt60_s: float = 0.35):
    """The real kiosk loop over the timeline; returns (KioskRun, seconds of input, the run report's
    `voiced_seconds`: every VAD-voiced second and what became of it)."""
    from runtime.audio.echo import WebRtcEchoCanceller
    from runtime.audio.linear_echo import make_linear_echo
    from runtime.audio.room_sim import EchoLoopSource, room_impulse_response
    from runtime.audio.sinks import NullSink
    from runtime.audio.sources import WavFileSource
    from runtime.composition.app import COMPLETE_QUESTION_CONFIDENCE
    from runtime.conversation.kiosk import Kiosk
    from runtime.dialogue.responder import Responder
    from runtime.display.avatar_view import AvatarView
    from runtime.display.renderer.display import HeadlessDisplay
    from runtime.listening.level_gate import LevelGate
    from runtime.listening.front_end import AudioFrontEnd
    from runtime.listening.listener import Listener
    from runtime.listening.vad import SileroVad
    from runtime.speaking.speech_output import SpeechOutput
    from runtime.turn_taking.endpointing import Endpointer

    audio = timeline.audio()
    with tempfile.NamedTemporaryFile(suffix=".wav", delete=False) as fh:
        path = Path(fh.name)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(AudioChunk.from_float(np.clip(audio, -1, 1), RATE).audio)
    holder = {}
    source = EchoLoopSource(WavFileSource(path, paced=False), lambda t, s: holder["s"].far_audio(t, s),
                            room_impulse_response(rng, rt60_s=rt60_s), gain_db=echo_db, noise=noise)
    out = SpeechOutput({"en": synth}, NullSink(synth.rate), source.now, time.perf_counter)
    holder["s"] = out
    responder = Responder(pack)
    front_end = AudioFrontEnd(SileroVad(), LevelGate(), WebRtcEchoCanceller(), make_linear_echo())
    listener = Listener(recognizer, Endpointer(), near_talker=front_end.near_talker,
                        is_complete=lambda text: responder.matcher.match(text, "en").confidence
                        >= COMPLETE_QUESTION_CONFIDENCE)
    kiosk = Kiosk(source, front_end, listener, responder, out, AvatarView(HeadlessDisplay(64, 114)), "en",
                  realtime=False)
    try:
        result = kiosk.run()
        voiced = kiosk.voices.summary()
    finally:
        out.close()
        path.unlink()
    return result, audio.size / RATE, voiced


def echo_attenuation(voice: Voice, rng: np.random.Generator, texts: list[str], echo_db: float) -> dict[str, float]:
    """dB of the avatar's echo removed over whole answers (after 2 s of adaptation), by WebRTC AEC3
    (what the recogniser and the VAD hear) and by the linear filter barge-in's onset uses."""
    from runtime.audio.echo import WebRtcEchoCanceller
    from runtime.audio.linear_echo import make_linear_echo
    from runtime.audio.room_sim import room_impulse_response
    aec, linear = WebRtcEchoCanceller(), make_linear_echo()
    rir = room_impulse_response(rng)
    far = np.concatenate([voice.say(t, 0.6) for t in texts])
    echo = np.convolve(far, rir)[: far.size] * 10 ** (echo_db / 20)
    before, after, left = [], [], []
    for i in range(0, far.size - 512, 512):
        aec.far(AudioChunk.from_float(far[i:i + 512], RATE, i / RATE))
        mic = AudioChunk.from_float(echo[i:i + 512], RATE, i / RATE)
        after.append(aec.near(mic).float_samples())
        before.append(echo[i:i + 512])
        residual = linear.residual_rms(mic, far[i:i + 512]) if linear is not None else None
        if residual is not None and i >= 2 * RATE:          # after the same 2 s of adaptation
            left.append(residual)
    b, a = np.concatenate(before), np.concatenate(after)
    skip = 2 * RATE
    out = {"webrtc_aec3": float(10 * np.log10(np.mean(b[skip:] ** 2) / (np.mean(a[skip:] ** 2) + 1e-12)))}
    if left:
        out["linear_mdf"] = float(10 * np.log10(np.mean(b[skip:] ** 2) / (np.mean(np.square(left)) + 1e-12)))
    return out
