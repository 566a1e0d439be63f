"""Turn-taking in a simulated venue: the avatar's own voice in the microphone, visitors cutting in,
backchannels and coughs, questions with a thinking pause in the middle — every event with exact
ground truth (`bench/turn_scenarios.py`), through the real kiosk loop and the real recogniser.

    python bench/turn_taking.py [--voices piper|real|both] [--answers 100] [--interruptions 30]
                                [--backchannels 24] [--paused 30] [--echo-levels=-6,0]
                                [--real-turns N] [--real-interruptions 30] [--real-paused 30] [--asr NAME] [--json OUT]

Reports (issue 6): barge-in stop latency p50/p95 from the visitor's true speech onset (target p95
<= 150 ms); false barge-ins — and pauses — from the avatar's own voice over >= 100 answers at each
speaker level (target 0); backchannels and coughs that stopped the avatar (and how long it held
before going on); interruptions missed and answered; visitors cut off in a mid-sentence pause of
300-900 ms (target 0); the silence the kiosk waited at each turn's end; echo attenuation in dB.

With real voices (`--voices real|both`, bench/real_turns.py): the same measures with human recordings
from ../shared/speech/*-en as the visitor — turns heard, interruptions caught and their stop latency,
sentences cut at a real pause answered whole, as a continuation or dropped — beside the Piper ones in
a second table, and under `real_voices` / `side_by_side` in the JSON (docs/turn-taking.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.common import machine, pct, print_table, write_json  # noqa: E402
from bench.turn_outcomes import (  # noqa: E402
    PAUSE_OUTCOMES, TURN_OUTCOMES, InterruptionTally, add_voiced, count_outcomes, own_voice_errors, pause_outcome,
    turn_outcome)
from bench.turn_scenarios import Timeline, Voice, answer_seconds, babble, cough, echo_attenuation, run_kiosk_on  # noqa: E402,E501

MALL = REPO.parent / "shared" / "venues" / "mall-demo"
SPEECH = REPO.parent / "shared" / "speech"
INTERRUPTIONS = [("No, sorry, where is the cinema?", "cinema"), ("Wait, how much is parking?", "parking"),
                 ("Actually, where are the toilets?", "restroom"), ("Sorry, is there wifi here?", "wifi"),
                 ("Hold on, where can I eat?", "food_court"), ("No no, I lost my child!", "lost_child")]
BACKCHANNELS = ["Mm.", "Uh huh.", "Okay.", "Hmm.", "Yeah.", "Right.", "Mhm.", "(cough)"]
# (question, pause after this many words, intent): mid-sentence, where people stop to think
PAUSED = [("Where is the cinema?", 3, "cinema"), ("How much is parking?", 3, "parking"),
          ("Um, where are the toilets?", 1, "restroom"), ("I am looking for the food court.", 5, "food_court"),
          ("What time does the mall open?", 3, "opening_hours"), ("Where can I charge my phone?", 3, "phone_charging"),
          ("Uh, is there wifi here?", 3, "wifi"), ("Where is the service desk?", 3, "service_desk"),
          ("Can I borrow a stroller?", 3, "stroller_wheelchair"), ("I lost my bag.", 2, "lost_and_found")]
SKIP = ("greeting", "thanks_goodbye")


class Bench:
    def __init__(self, args):
        from runtime.asr.phrase_hints import pack_phrases
        from runtime.composition.backends import make_recognizer, make_synthesizer
        from runtime.dialogue.content_pack import load_content_pack
        from runtime.models.manifest import ModelCatalog
        self.args = args
        self.rng = np.random.default_rng(args.seed)
        self.synth = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
        self.voice = Voice(self.synth)
        self.pack = load_content_pack(MALL)
        self.recognizer = make_recognizer(ModelCatalog.load(), "en", pack_phrases(self.pack, "en"), asr=args.asr)
        self.intents = [i for i in self.pack.intents if i.id not in SKIP]
        self.noise = babble(self.voice, self.rng, 8.0, args.babble_db)
        self.own = {}           # echo level -> {"answers", "false_barge_ins", "false_pauses"}
        self.turns_heard = {}   # echo level -> each own-voice question: heard as one turn and answered?
        self.last_voiced = {}   # the last run's `voiced_seconds`

    def run(self, timeline: Timeline, echo_db: float):
        run, _, self.last_voiced = run_kiosk_on(timeline, self.synth, self.pack, self.recognizer, self.rng, echo_db,
                                                self.noise)
        return run

    def ask(self, tl: Timeline, intent, k: int = 0) -> None:
        """A question, then silence for the whole answer (with the AI disclosure) to play back."""
        q = intent.questions["en"][k % len(intent.questions["en"])]
        tl.add(self.voice.say(q), "question", q, intent.id)
        tl.silence(answer_seconds(self.voice, intent.answers["en"]) + 4.5)

    def count_own(self, echo_db: float, run, visitor_marks) -> None:
        """Pauses and barge-ins whose onset is not near anything the visitor did: the avatar's voice."""
        rec = self.own.setdefault(echo_db, {"answers": 0, "false_barge_ins": 0, "false_pauses": 0})
        for key, n in own_voice_errors(run, visitor_marks).items():
            rec[key] += n

    # 1. The avatar's own voice, whole answers played back into the microphone.
    def own_voice(self, echo_db: float) -> None:
        done = 0
        while done < self.args.answers:
            tl = Timeline(noise_dbfs=self.args.babble_db)
            for k in range(min(10, self.args.answers - done)):
                self.ask(tl, self.intents[(done + k) % len(self.intents)], done + k)
            run = self.run(tl, echo_db)
            self.count_own(echo_db, run, tl.marks)
            self.turns_heard.setdefault(echo_db, []).extend(
                turn_outcome(run.turns, run.not_answered, m.start, m.end) for m in tl.marks)
            done += len(tl.marks)

    # 2./3. Something said over an answer at a random point, after one warm-up answer.
    def over_answer(self, k: int, kind: str, audio: np.ndarray, text: str, expect: str | None):
        tl = Timeline(noise_dbfs=self.args.babble_db)
        self.ask(tl, self.intents[(3 * k + 1) % len(self.intents)], k)
        intent = self.intents[k % len(self.intents)]
        tl.add(self.voice.say(intent.questions["en"][0]), "question", intent.questions["en"][0], intent.id)
        tl.silence(1.2 + float(self.rng.uniform(0.3, 2.6)))   # into the answer (it starts 0.35-1.2 s after)
        mark = tl.add(audio, kind, text, expect)
        tl.silence(9.0)
        run = self.run(tl, self.args.echo_db)
        self.count_own(self.args.echo_db, run, tl.marks)
        mine = lambda e: mark.start - 0.15 <= e["onset_ms"] / 1000 <= mark.end + 0.3  # noqa: E731
        return mark, run, [e for e in run.barge_ins if mine(e)], [e for e in run.backchannels if mine(e)]

    def interruptions(self) -> dict:
        tally = InterruptionTally()
        for k in range(self.args.interruptions):
            text, expect = INTERRUPTIONS[k % len(INTERRUPTIONS)]
            mark, run, barges, held = self.over_answer(k, "interruption", self.voice.say(text, 0.6), text, expect)
            tally.add(mark, run, barges, held, text, expect)
        return tally.summary()

    def backchannels(self) -> dict:
        stopped, held, finished, details = 0, [], 0, []
        for k in range(self.args.backchannels):
            text = BACKCHANNELS[k % len(BACKCHANNELS)]
            level = float(self.rng.uniform(0.3, 0.6))
            audio = cough(self.rng, level) if text == "(cough)" else self.voice.say(text, level)
            mark, run, barges, pauses = self.over_answer(k, "backchannel", audio, text, None)
            stopped += bool(barges)
            held += [e["held_ms"] for e in pauses]
            cut = [t for t in run.turns if t["cut_at_ms"] is not None]
            finished += not cut and not barges
            details.append({"text": text, "seconds": round(mark.end - mark.start, 2), "level": round(level, 2),
                            "over_speech": bool(barges or pauses) or None, "stopped": bool(barges),
                            "held_ms": [e["held_ms"] for e in pauses]})
        return {"count": self.args.backchannels, "stopped_the_avatar": stopped, "answers_finished": finished,
                "paused_then_went_on": len(held),
                "held_ms": {"p50": round(pct(held, 50), 1), "max": max(held) if held else None},
                "details": details}

    # 4. Questions with a thinking pause in the middle.
    def paused_questions(self) -> dict:
        cut_off, rescued, right, waits, details = 0, 0, 0, {}, []
        done, voiced = 0, {}
        while done < self.args.paused:
            tl, items = Timeline(noise_dbfs=self.args.babble_db), []
            for k in range(min(10, self.args.paused - done)):
                text, after, expect = PAUSED[(done + k) % len(PAUSED)]
                pause = float(self.rng.uniform(0.3, 0.9))
                first, second = self.voice.say_with_pause(text, after, pause)
                words = text.split()
                a = tl.add(first, "paused-question", " ".join(words[:after]), expect)
                tl.silence(pause)
                b = tl.add(second, "paused-question", " ".join(words[after:]), expect)
                items.append((a, b, pause, f"{a.text} … {b.text}", expect))
                tl.silence(answer_seconds(self.voice, self.pack.intent(expect).answers["en"]) + 5.0)
            run = self.run(tl, self.args.echo_db)
            voiced = add_voiced(voiced, self.last_voiced)
            for t in run.turns:
                waits.setdefault(t["timings"]["endpoint_hint"], []).append(t["timings"]["endpoint_wait_ms"])
            for a, b, pause, text, expect in items:
                mine = [t for t in run.turns if a.start - 0.6 <= t["timings"]["speech_start_ms"] / 1000 <= b.end]   # a crowd burst just before may open it
                early = [t for t in mine if t["timings"]["speech_end_ms"] / 1000 < b.start - 0.05]
                cut_off += bool(early)
                # Cut off, but the avatar stopped as they went on and answered the whole sentence.
                rescued += bool(early) and mine[-1]["intent"] == expect and mine[-1] is not early[-1]
                ok = bool(mine) and mine[-1]["intent"] == expect
                right += ok
                details.append({"text": text, "pause_s": round(pause, 2), "cut_off": bool(early),
                                "turns": [(t["transcript"], t["intent"], t["timings"]["endpoint_hint"],
                                           t["timings"]["endpoint_wait_ms"]) for t in mine],
                                "outcome": pause_outcome(run.turns, run.not_answered, (a.start, a.end),
                                                         (b.start, b.end))})
            done += len(items)
        every = [w for ws in waits.values() for w in ws]
        return {"count": self.args.paused, "cut_off": cut_off, "cut_off_then_answered_whole": rescued,
                "answered_right": right,
                "endpoint_wait_ms": {"mean": round(statistics.mean(every), 1) if every else None,
                                     **{h: round(statistics.mean(ws), 1) for h, ws in waits.items()},
                                     "turns_by_hint": {h: len(ws) for h, ws in waits.items()}},
                "outcomes": count_outcomes([d["outcome"] for d in details], PAUSE_OUTCOMES),
                "voiced_seconds": voiced, "details": details}


def run_real(args, bench: Bench) -> dict:
    """The real-voice scenarios (bench/real_turns.py), the recordings at the Piper visitor's loudness."""
    from bench.real_turns import RealTurns
    from bench.real_voices import active_level_db, load_utterances
    level = statistics.median(active_level_db(bench.voice.say(text, 0.6)) for text, _ in INTERRUPTIONS)
    utterances = load_utterances(args.speech, level)
    if not utterances:
        return {"error": f"no *-en speech sets under {args.speech}"}
    real = RealTurns(bench, utterances, np.random.default_rng([args.seed, 2]))   # Piper's draws stay the same
    return {"speech": str(args.speech), "level_dbfs": round(level, 1), **real.all(args)}


def _column(own: dict, turns, inter, back, paused, gaps: str) -> dict:
    """The figures both voices share."""
    out = {"own_voice": own, "turns_heard": turns, "backchannels": back, "paused_mid_sentence": None,
           "interruptions": None}
    if inter:
        out["interruptions"] = {"caught": inter["count"] - inter["missed"], "over_the_avatar": inter["count"],
                                "not_over_speech": inter["not_over_speech"], "answered": inter["answered_right"],
                                "stop_latency_from_audible_ms": inter["stop_latency_from_audible_ms"],
                                "stop_latency_ms": inter["stop_latency_ms"]}
    if paused:
        out["paused_mid_sentence"] = {"count": paused["count"], "gap_s": gaps,
                                      **{k: paused[k] for k in PAUSE_OUTCOMES},
                                      "voiced_seconds": paused.get("voiced_seconds")}
    return out


def side_by_side(result: dict, echo_db: float) -> dict:
    own = {k: sum(v[k] for v in result.get("own_voice", {}).values())
           for k in ("answers", "false_barge_ins", "false_pauses")}
    paused = result.get("paused_questions")
    out = {"piper": _column(own, result.get("turns_heard", {}).get(str(echo_db)), result.get("interruptions"),
                            result.get("backchannels"), paused and {**paused, **paused["outcomes"]}, "0.3-0.9")}
    real = result.get("real_voices")
    if real and "error" not in real:
        own_real = {k: v for k, v in real["own_voice_in_these_runs"].items() if k != "events"}
        out["real"] = _column(own_real, {k: v for k, v in real["turns"].items() if k != "details"},
                              real["interruptions"], real["backchannels"], real["paused_mid_sentence"], "0.6-1.2")
    return out


def _cells(c: dict | None) -> list[str]:
    """One column of the comparison table."""
    if not c:
        return ["not run"] * 7
    own, turns, inter, back, paused = (c[k] for k in ("own_voice", "turns_heard", "interruptions", "backchannels",
                                                      "paused_mid_sentence"))
    cells = [f"{own['false_barge_ins']} / {own['false_pauses']} / {own['answers']}",
             f"{turns['one turn']}/{turns['count'] if 'count' in turns else sum(turns.values())} (split "
             f"{turns['split']}, run on {turns['run-on']}, not answered {turns['not answered']})" if turns else "-"]
    if inter:
        audible, first = inter["stop_latency_from_audible_ms"], inter["stop_latency_ms"]
        cells += [f"{inter['caught']}/{inter['over_the_avatar']} ({inter['not_over_speech']} not over it), "
                  f"{inter['answered']} answered", f"{audible['p50']} / {audible['p95']} ms",
                  f"{first['p50']} / {first['p95']} / {first['max']} ms"]
    else:
        cells += ["-"] * 3
    cells.append(f"{back['stopped_the_avatar']}/{back['count']}" if isinstance(back, dict) else "- (none in the sets)")
    cells.append(f"{paused['whole']} / {paused['continuation']} / {paused['dropped']} of {paused['count']} "
                 f"(run on {paused['run-on']}; gap {paused['gap_s']} s)" if paused else "-")
    return cells


def comparison_rows(sbs: dict) -> list[tuple[str, ...]]:
    measures = [("false barge-ins / brief false pauses from the avatar's own voice / answers", "0 / 0"),
                ("visitor turns heard as one turn and answered", "all"),
                ("interruptions caught / over the avatar's answer", "all"),
                ("stop latency from voice above the hall's noise p50 / p95", "p95 <= 150 ms"),
                ("stop latency from first sound p50 / p95 / max", ""),
                ("backchannels + coughs that stopped the avatar", "0"),
                ("pauses mid-sentence: answered whole / as a continuation / dropped", "0 dropped")]
    piper, real = _cells(sbs.get("piper")), _cells(sbs.get("real"))
    return [(m, p, r, t) for (m, t), p, r in zip(measures, piper, real)]


def print_columns(title: str, head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(f"{c:<{w}}" for c, w in zip(r, widths)).rstrip()  # noqa: E731
    print(f"\n{title}\n{line(head)}\n" + "-" * (sum(widths) + 2 * len(widths)))
    for r in rows:
        print(line(r))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", choices=("piper", "real", "both"), default="both",
                        help="the visitor's voice: Piper, real recordings (../shared/speech/*-en), or both")
    parser.add_argument("--answers", type=int, default=100, help="answers played back, per speaker level")
    parser.add_argument("--interruptions", type=int, default=30)
    parser.add_argument("--backchannels", type=int, default=24)
    parser.add_argument("--paused", type=int, default=30)
    parser.add_argument("--real-turns", type=int, default=None,
                        help="real visitor turns (default: each recording once)")
    parser.add_argument("--real-interruptions", type=int, default=30)
    parser.add_argument("--real-paused", type=int, default=30, help="real sentences cut at a pause")
    parser.add_argument("--min-pause-s", type=float, default=0.25, help="the shortest real pause to cut at")
    parser.add_argument("--speech", type=Path, default=SPEECH, help="folder of the real speech sets")
    parser.add_argument("--echo-db", type=float, default=-6.0, help="speaker-to-microphone gain for 2-4")
    parser.add_argument("--echo-levels", default="-6,0", help="speaker-to-microphone gains for the own-voice runs")
    parser.add_argument("--babble-db", type=float, default=-42.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--asr", default=None, help="the recogniser (`run --asr`: pocketsphinx, whisper-base, ...); "
                        "default: the old rule (a Vosk model for en, else pocketsphinx)")
    parser.add_argument("--json", type=Path)
    return parser.parse_args()


def piper_rows(args, bench: Bench, inter, back, paused, attenuation: dict, seconds: float) -> list[tuple[str, str]]:
    """The Piper table, as it always was (rows of scenarios not run are left out)."""
    rows = [(f"own voice at {k} dB path: answers / false barge-ins / false pauses (target 0)",
             f"{v['answers']} / {v['false_barge_ins']} / {v['false_pauses']}") for k, v in bench.own.items()]
    if inter:
        rows += [
            ("interruptions caught / answered right", f"{inter['count'] - inter['missed']}/{inter['count']} / "
                                                      f"{inter['answered_right']}"),
            ("stop latency from first sound (-35 dB) p50 / p95 / max",
             f"{inter['stop_latency_ms']['p50']} / {inter['stop_latency_ms']['p95']} / {inter['stop_latency_ms']['max']} ms"),
            ("stop latency from voice above the hall's noise p50 / p95 (target p95 <= 150 ms)",
             f"{inter['stop_latency_from_audible_ms']['p50']} / {inter['stop_latency_from_audible_ms']['p95']} ms")]
    if back:
        rows += [("backchannels + coughs that stopped the avatar", f"{back['stopped_the_avatar']}/{back['count']}"),
                 ("  paused then went on / held p50, max", f"{back['paused_then_went_on']} / {back['held_ms']['p50']}, "
                                                           f"{back['held_ms']['max']} ms")]
    if paused:
        rows += [
            ("visitors cut off in a 300-900 ms pause (target 0)", f"{paused['cut_off']}/{paused['count']}"),
            ("  of those, avatar stopped as they went on + whole sentence answered",
             f"{paused['cut_off_then_answered_whole']}"),
            ("  paused questions answered right", f"{paused['answered_right']}/{paused['count']}"),
            ("mean endpoint silence (all / complete / none / hesitating)",
             " / ".join(str(paused["endpoint_wait_ms"].get(h)) for h in ("mean", "complete", "none", "hesitating"))
             + " ms")]
    rows += [
        ("echo removed: WebRTC AEC3 / linear filter (barge-in onset)",
         " / ".join(f"{attenuation[k]:.1f}" if k in attenuation else "-" for k in ("webrtc_aec3", "linear_mdf")) + " dB"),
        ("set-up", f"path {args.echo_db} dB, room RT60 0.35 s, babble {args.babble_db} dBFS"),
        ("run time", f"{seconds:.0f} s"), ("machine", machine())]
    return rows


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    bench = Bench(args)
    for level in [float(x) for x in args.echo_levels.split(",") if x]:
        bench.own_voice(level)
    piper = args.voices in ("piper", "both")
    inter = bench.interruptions() if piper else None
    back = bench.backchannels() if piper else None
    paused = bench.paused_questions() if piper else None
    real = run_real(args, bench) if args.voices in ("real", "both") else None
    attenuation = echo_attenuation(bench.voice, np.random.default_rng(args.seed),      # the same room every run
                                   [i.answers["en"] for i in bench.intents[:6]], args.echo_db)
    result = {"machine": machine(), "voices": args.voices, "asr": bench.recognizer.name, "own_voice": {str(k): v for k, v in bench.own.items()},
              "interruptions": inter, "backchannels": back, "paused_questions": paused,
              "turns_heard": {str(k): count_outcomes(v, TURN_OUTCOMES) for k, v in bench.turns_heard.items()},
              "real_voices": real,
              "echo_attenuation_db": {k: round(v, 1) for k, v in attenuation.items()}, "echo_path_gain_db": args.echo_db,
              "babble_dbfs": args.babble_db, "seconds": round(time.perf_counter() - started, 1)}
    result = {k: v for k, v in result.items() if v is not None}
    result["side_by_side"] = side_by_side(result, args.echo_db)
    print_table("Turn-taking: barge-in, backchannels and endpointing (bench/turn_taking.py)",
                piper_rows(args, bench, inter, back, paused, attenuation, result["seconds"]))
    print_columns("Piper and real voices, same targets (bench/turn_taking.py --voices both)",
                  ("measure", "Piper", "real voices", "target"), comparison_rows(result["side_by_side"]))
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
