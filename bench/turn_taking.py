"""Barge-in in a simulated venue: the avatar's own voice in the microphone, visitors cutting in, backchannels.

Scenarios are built by mixing Piper speech: the visitor's questions; the avatar's
answers played back through a simulated speaker-to-microphone path (a generated room
impulse response, delayed and attenuated, runtime/audio/room_sim.py) plus synthetic
mall babble; interruptions at random points of an answer; short backchannels. Each
scenario runs through the real kiosk loop (Silero VAD, WebRTC AEC3, the barge-in gate,
the speech output) with a scripted recogniser, as fast as possible.

    python bench/turn_taking.py [--answers 100] [--interruptions 30] [--json OUT]

Reports: barge-in stop latency p50/p95 (target p95 <= 150 ms), false barge-ins from the
avatar's own voice (target 0 over >= 100 answers), from backchannels, and the echo
attenuation of the canceller in dB.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, pct, print_table, write_json  # noqa: E402
from runtime.audio.chunk import AudioChunk  # noqa: E402
from runtime.audio.echo import WebRtcEchoCanceller  # noqa: E402
from runtime.audio.room_sim import EchoLoopSource, room_impulse_response  # noqa: E402
from runtime.audio.sinks import NullSink  # noqa: E402
from runtime.avatar_view import AvatarView  # noqa: E402
from runtime.asr.phrase_hints import pack_phrases  # noqa: E402
from runtime.backends import make_recognizer, make_synthesizer  # noqa: E402
from runtime.dialogue.content_pack import load_content_pack  # noqa: E402
from runtime.dialogue.responder import Responder  # noqa: E402
from runtime.endpointing import Endpointer  # noqa: E402
from runtime.kiosk import Kiosk  # noqa: E402
from runtime.level_gate import LevelGate  # noqa: E402
from runtime.listener import Listener  # noqa: E402
from runtime.models import ModelCatalog  # noqa: E402
from runtime.renderer.display import HeadlessDisplay  # noqa: E402
from runtime.speech_output import SpeechOutput  # noqa: E402
from runtime.vad import SileroVad  # noqa: E402

MALL = REPO.parent / "shared" / "venues" / "mall-demo"
RATE = 16000
BACKCHANNELS = ["Mm.", "Uh huh.", "Okay.", "Hmm."]


def speech(synth, text: str, level: float = 0.6) -> np.ndarray:
    audio = np.concatenate([s.audio.converted(rate=RATE).float_samples() for s in synth.synthesize(text)])
    return level * audio


def babble(synth, rng, seconds: float, level_db: float) -> np.ndarray:
    lines = ["Let's meet at the coffee shop later.", "Did you see the new shoes in that store?",
             "The kids want ice cream again.", "That movie was much better than I expected."]
    voices = [speech(synth, line, 1.0) for line in lines]
    out = np.zeros(int(seconds * RATE), dtype=np.float32)
    for _ in range(int(seconds / 1.5)):
        v = voices[rng.integers(len(voices))]
        at = rng.integers(0, max(1, out.size - v.size))
        out[at:at + v.size] += v[: out.size - at]
    out /= np.sqrt(np.mean(out ** 2)) + 1e-9
    return (out * 10 ** (level_db / 20)).astype(np.float32)


def run(synth, pack, audio: np.ndarray, transcripts: list[str], rng, echo_db: float, noise: np.ndarray):
    import tempfile
    import wave
    from runtime.audio.sources import WavFileSource
    with tempfile.NamedTemporaryFile(suffix=".wav", delete=False) as fh:
        path = Path(fh.name)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(AudioChunk.from_float(np.clip(audio, -1, 1), RATE).audio)
    holder = {}
    source = EchoLoopSource(WavFileSource(path, paced=False), lambda t, s: holder["s"].far_audio(t, s),
                            room_impulse_response(rng), gain_db=echo_db, noise=noise)
    out = SpeechOutput({"en": synth}, NullSink(synth.rate), source.now, time.perf_counter)
    holder["s"] = out
    recognizer = make_recognizer(ModelCatalog.load(), "en", pack_phrases(pack, "en"))   # real ASR: echo and
    listener = Listener(SileroVad(), recognizer, Endpointer(), level_gate=LevelGate())  # babble turns cost nothing
    kiosk = Kiosk(source, listener, Responder(pack),
                  out, AvatarView(HeadlessDisplay(64, 114)), "en", realtime=False, echo=WebRtcEchoCanceller())
    result = kiosk.run()
    out.close()
    path.unlink()
    return result


def echo_attenuation(synth, rng, answer_texts: list[str], echo_db: float) -> float:
    """dB of the avatar's echo removed by the canceller, over whole answers."""
    aec = WebRtcEchoCanceller()
    rir = room_impulse_response(rng)
    far = np.concatenate([speech(synth, t, 0.6) for t in answer_texts])
    echo = np.convolve(far, rir)[: far.size] * 10 ** (echo_db / 20)
    before, after = [], []
    for i in range(0, far.size - 512, 512):
        aec.far(AudioChunk.from_float(far[i:i + 512], RATE, i / RATE))
        cleaned = aec.near(AudioChunk.from_float(echo[i:i + 512], RATE, i / RATE)).float_samples()
        before.append(echo[i:i + 512])
        after.append(cleaned)
    b, a = np.concatenate(before), np.concatenate(after)
    skip = 2 * RATE                    # the canceller's first two seconds of adaptation
    return float(10 * np.log10(np.mean(b[skip:] ** 2) / (np.mean(a[skip:] ** 2) + 1e-12)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=100)
    parser.add_argument("--interruptions", type=int, default=30)
    parser.add_argument("--backchannels", type=int, default=20)
    parser.add_argument("--echo-db", type=float, default=-6.0, help="speaker-to-microphone gain (realistic: -6)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rng = np.random.default_rng(11)
    synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
    pack = load_content_pack(MALL)
    intents = [i for i in pack.intents if i.id not in ("greeting", "thanks_goodbye")]
    noise = babble(synth, rng, 8.0, -42.0)
    started = time.perf_counter()

    # 1. The avatar's own voice: questions, then silence while the whole answer plays back into the mic.
    false_own, answered, ignored, batch = 0, 0, 0, 10
    for b in range(0, args.answers, batch):
        chosen = [intents[(b + k) % len(intents)] for k in range(min(batch, args.answers - b))]
        parts, transcripts = [np.zeros(int(0.5 * RATE), np.float32)], []
        for intent in chosen:
            q = intent.questions["en"][0]
            answer_s = speech(synth, intent.answers["en"]).size / RATE + 4.5   # the answer, the disclosure, a pause
            parts += [speech(synth, q), np.zeros(int(answer_s * RATE), np.float32)]
            transcripts.append(q.lower())
        result = run(synth, pack, np.concatenate(parts), transcripts, rng, args.echo_db, noise)
        false_own += len(result.barge_ins)
        answered += len(result.turns)
        ignored += result.ignored_over_speech

    # 2. Interruptions at a random point of an answer.
    latencies, missed = [], 0
    for k in range(args.interruptions):
        intent = intents[k % len(intents)]
        q = speech(synth, intent.questions["en"][0])
        cut_in = speech(synth, "No, sorry, where is the cinema?", 0.8)
        wait = rng.uniform(1.2, 3.5)       # how far into the answer the visitor cuts in (after its start)
        audio = np.concatenate([np.zeros(int(0.5 * RATE), np.float32), q, np.zeros(int(wait * RATE), np.float32),
                                cut_in, np.zeros(int(4 * RATE), np.float32)])
        result = run(synth, pack, audio, [intent.questions["en"][0].lower(), "no sorry where is the cinema"],
                     rng, args.echo_db, noise)
        if result.barge_ins:
            latencies.append(result.barge_ins[0]["latency_ms"])
        else:
            missed += 1

    # 3. Backchannels while the avatar talks.
    false_back = 0
    for k in range(args.backchannels):
        intent = intents[k % len(intents)]
        q = speech(synth, intent.questions["en"][0])
        back = speech(synth, BACKCHANNELS[k % len(BACKCHANNELS)], 0.35)
        audio = np.concatenate([np.zeros(int(0.5 * RATE), np.float32), q,
                                np.zeros(int(rng.uniform(1.5, 3.0) * RATE), np.float32), back,
                                np.zeros(int(8 * RATE), np.float32)])
        result = run(synth, pack, audio, [intent.questions["en"][0].lower(), "uh huh"], rng, args.echo_db, noise)
        false_back += len(result.barge_ins)

    attenuation = echo_attenuation(synth, rng, [i.answers["en"] for i in intents[:6]], args.echo_db)
    elapsed = time.perf_counter() - started
    result = {"machine": machine(), "answers": answered, "false_barge_ins_own_voice": false_own,
              "ignored_over_speech": ignored, "interruptions": args.interruptions, "missed_interruptions": missed,
              "stop_latency_ms": {"p50": round(pct(latencies, 50), 1), "p95": round(pct(latencies, 95), 1)},
              "backchannels": args.backchannels, "false_barge_ins_backchannels": false_back,
              "echo_attenuation_db": round(attenuation, 1), "echo_path_gain_db": args.echo_db,
              "seconds": round(elapsed, 1)}
    print_table("Turn-taking: barge-in with the avatar's voice in the microphone", [
        ("answers played back into the microphone", f"{answered}"),
        ("false barge-ins from the avatar's own voice (target 0)", f"{false_own}"),
        ("interruptions detected", f"{args.interruptions - missed}/{args.interruptions}"),
        ("stop latency p50 / p95 (target p95 <= 150 ms)",
         f"{result['stop_latency_ms']['p50']} / {result['stop_latency_ms']['p95']} ms"),
        ("backchannels that stopped the avatar", f"{false_back}/{args.backchannels}"),
        ("echo attenuation (WebRTC AEC3)", f"{attenuation:.1f} dB"),
        ("speaker-to-microphone gain", f"{args.echo_db} dB, room RT60 0.35 s, babble -42 dBFS"),
        ("run time", f"{elapsed:.0f} s"), ("machine", machine())])
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
