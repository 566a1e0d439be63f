"""The turn-taking scenarios again with real human recordings as the visitor (`bench/real_voices.py`),
through the same kiosk loop, room, babble and recogniser as the Piper ones (`bench/turn_taking.py`),
judged by the same rules (`bench/turn_outcomes.py`). The avatar's voice is Piper in both.

Its own random generator: the Piper scenarios of a seed stay what they were.
"""

from __future__ import annotations

import numpy as np

from bench.real_voices import (NO_BACKCHANNELS, InterruptionPlan, PausedPlan, RealUtterance, interruption_delay,
                               pause_candidates, plan_interruptions, plan_pauses, plan_turns, widen)
from bench.turn_outcomes import (PAUSE_OUTCOMES, TURN_OUTCOMES, InterruptionTally, add_voiced, count_outcomes,
                                 own_voice_errors, own_voice_events, pause_outcome, turn_outcome)
from bench.turn_scenarios import RATE, Mark, Timeline, answer_seconds, run_kiosk_on

PER_RUN = 8          # visitor turns or paused sentences per kiosk run


def audible_from(audio: np.ndarray, onset: float, noise_dbfs: float) -> float:
    """The first 10 ms from `onset` on louder than the hall's noise (as Piper's marks), in seconds."""
    from runtime.audio.levels import FRAME_S, frame_rms
    rms = frame_rms(audio, RATE)
    first = int(onset / FRAME_S)
    above = np.nonzero(rms[first:] > 10 ** (noise_dbfs / 20))[0]
    return onset + (above[0] * FRAME_S if above.size else 0.0)


def place(tl: Timeline, u: RealUtterance, kind: str) -> Mark:
    """A whole recording on the time line, marked from its first sound to the end of its last."""
    at = tl.play(u.audio)
    mark = Mark(kind, u.key, at + u.onset, at + u.offset, None, {"text": u.text},
                at + audible_from(u.audio, u.onset, tl.noise_dbfs))
    tl.marks.append(mark)
    return mark


def place_paused(tl: Timeline, plan: PausedPlan) -> tuple[Mark, Mark]:
    """A recording with its pause widened: two marks, before and after the gap."""
    u, p = plan.utterance, plan.pause
    before, gap, after = widen(u.audio, p, plan.gap_s)
    at = tl.play(np.concatenate([before, gap, after]))
    resume = at + before.size / RATE + gap.size / RATE
    first = Mark("paused-real", u.key, at + u.onset, at + p.start, None, {"text": u.text},
                 at + audible_from(u.audio, u.onset, tl.noise_dbfs))
    second = Mark("paused-real", u.key, resume, resume + (u.offset - p.end), None, {"gap_s": plan.gap_s}, resume)
    tl.marks += [first, second]
    return first, second


class RealTurns:
    def __init__(self, bench, utterances: list[RealUtterance], rng: np.random.Generator):
        self.b, self.utterances, self.rng = bench, utterances, rng
        self.own = {"answers": 0, "false_barge_ins": 0, "false_pauses": 0}
        self.own_events: list[dict] = []       # where those were, for a look
        self.voiced: dict[str, dict] = {}
        texts = [bench.pack.fallback["en"]] + [i.answers["en"] for i in bench.intents]
        self.answer_s = max(answer_seconds(bench.voice, t) for t in texts) + 5.0   # any answer, and the disclosure

    def run(self, tl: Timeline, scenario: str):
        run, _, voiced = run_kiosk_on(tl, self.b.synth, self.b.pack, self.b.recognizer, self.rng,
                                      self.b.args.echo_db, self.b.noise)
        self.voiced[scenario] = add_voiced(self.voiced.get(scenario, {}), voiced)
        for key, n in own_voice_errors(run, tl.marks).items():
            self.own[key] += n
        self.own_events += [{"scenario": scenario, **e} for e in own_voice_events(run, tl.marks)]
        return run

    def turns(self, n: int | None) -> dict:
        """A recording in the room, then silence for the answer: heard as one turn and answered?"""
        plan, details = plan_turns(self.utterances, n, self.rng), []
        for i in range(0, len(plan), PER_RUN):
            tl = Timeline(noise_dbfs=self.b.args.babble_db)
            marks = []
            for u in plan[i:i + PER_RUN]:
                marks.append(place(tl, u, "real-turn"))
                tl.silence(self.answer_s)
            run = self.run(tl, "turns")
            details += [{"key": m.text, **turn_outcome(run.turns, run.not_answered, m.start, m.end)} for m in marks]
        return {"count": len(details), **count_outcomes(details, TURN_OUTCOMES),
                "voiced_seconds": self.voiced.get("turns"), "details": details}

    def interruption(self, plan: InterruptionPlan, tally: InterruptionTally) -> None:
        """Questions (Piper) make the avatar answer; the recording starts at a random point in the answer."""
        b, k = self.b, plan.k
        tl = Timeline(noise_dbfs=b.args.babble_db)
        b.ask(tl, b.intents[(3 * k + 1) % len(b.intents)], k)
        intent = b.intents[k % len(b.intents)]
        tl.add(b.voice.say(intent.questions["en"][0]), "question", intent.questions["en"][0], intent.id)
        answer_s = answer_seconds(b.voice, intent.answers["en"])
        tl.silence(interruption_delay(plan.at, answer_s))
        mark = place(tl, plan.utterance, "interruption")
        tl.silence(9.0)
        run = self.run(tl, "interruptions")
        mine = lambda e: mark.start - 0.15 <= e["onset_ms"] / 1000 <= mark.end + 0.3  # noqa: E731
        tally.add(mark, run, [e for e in run.barge_ins if mine(e)], [e for e in run.backchannels if mine(e)],
                  plan.utterance.key, None)
        began = [t["timings"]["heard_from_ms"] / 1000 for t in run.turns if t["timings"]["heard_from_ms"] is not None
                 and t["timings"]["heard_from_ms"] / 1000 < mark.start]
        if began:                                   # where in the answer it came, and how much was left
            into = mark.start - max(began)
            tally.details[-1].update(into_answer_s=round(into, 2), answer_left_s=round(answer_s - into, 2))

    def interruptions(self, n: int) -> dict:
        tally = InterruptionTally()
        for plan in plan_interruptions(self.utterances, n, self.rng):
            self.interruption(plan, tally)
        return {**tally.summary(), "voiced_seconds": self.voiced.get("interruptions")}

    def paused(self, n: int, min_pause_s: float) -> dict:
        """Sentences cut at a real pause widened to 0.6-1.2 s: answered whole, the continuation as a
        new turn, or dropped (target 0)."""
        candidates = pause_candidates(self.utterances, min_pause_s)
        plans, details = plan_pauses(candidates, n, self.rng), []
        for i in range(0, len(plans), PER_RUN):
            tl, items = Timeline(noise_dbfs=self.b.args.babble_db), []
            for plan in plans[i:i + PER_RUN]:
                items.append((plan, *place_paused(tl, plan)))
                tl.silence(self.answer_s)
            run = self.run(tl, "paused")
            for plan, a, c in items:
                details.append({"key": plan.utterance.key, "pause_at_s": plan.pause.start,
                                "pause_s": plan.pause.seconds, "gap_s": plan.gap_s,
                                **pause_outcome(run.turns, run.not_answered, (a.start, a.end), (c.start, c.end))})
        return {"count": len(details), **count_outcomes(details, PAUSE_OUTCOMES),
                "sentences_with_pauses": sorted({u.key for u, _ in candidates}),
                "pauses_found": [{"key": u.key, "at_s": p.start, "seconds": p.seconds} for u, p in candidates],
                "voiced_seconds": self.voiced.get("paused"), "details": details}

    def all(self, args) -> dict:
        sets = sorted({u.key.split("/")[0] for u in self.utterances})
        return {"sets": sets, "recordings": len(self.utterances),
                "turns": self.turns(args.real_turns),
                "interruptions": self.interruptions(args.real_interruptions),
                "backchannels": NO_BACKCHANNELS,
                "paused_mid_sentence": self.paused(args.real_paused, args.min_pause_s),
                "own_voice_in_these_runs": {**self.own, "events": self.own_events}}
