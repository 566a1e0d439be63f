"""What became of each thing a visitor did in a turn-taking scenario, from the kiosk's run (pure).

The same judgement for Piper and real voices: a visitor turn heard as one turn and answered, split,
or not answered (with the reasons the run's `not_answered` gives); a sentence with a pause answered
whole, its continuation answered as a new turn, or dropped; an interruption caught and how fast.
Times are seconds on the input time line; turns are the run's turn records.
"""

from __future__ import annotations

import statistics
from collections import Counter

from bench.common import pct

PAUSE_OUTCOMES = ("whole", "continuation", "dropped", "run-on")
TURN_OUTCOMES = ("one turn", "split", "run-on", "not answered")
RUN_ON_S = 1.0     # a turn that began this long before the visitor spoke or ended this long after took in
                   # other sound (the crowd, the next visitor): their words were not heard as their own turn


def _span(item: dict) -> tuple[float, float]:
    t = item.get("timings", item)
    return t["speech_start_ms"] / 1000, t["speech_end_ms"] / 1000


def _overlaps(span: tuple[float, float], start: float, end: float) -> bool:
    return span[0] < end and span[1] > start


def _own(turn: dict, start: float, end: float) -> bool:
    span = _span(turn)
    return span[0] >= start - RUN_ON_S and span[1] <= end + RUN_ON_S


def answered_over(turns: list[dict], start: float, end: float) -> list[dict]:
    """The answered turns whose speech overlaps [start, end]."""
    return [t for t in turns if _overlaps(_span(t), start, end)]


def reasons_over(not_answered: list[dict], start: float, end: float) -> list[str]:
    """Why the voiced stretches over [start, end] were not answered (the report's `not_answered`)."""
    return [n["reason"] for n in not_answered
            if n.get("speech_start_ms") is not None and _overlaps(_span(n), start, end)]


def turn_outcome(turns: list[dict], not_answered: list[dict], start: float, end: float) -> dict:
    """One visitor turn: heard as one turn and answered, split into several answers, run on (answered
    in a turn that took in other sound too), or not answered."""
    mine = answered_over(turns, start, end)
    if not mine:
        outcome = "not answered"
    elif not all(_own(t, start, end) for t in mine):
        outcome = "run-on"
    else:
        outcome = "one turn" if len(mine) == 1 else "split"
    return {"outcome": outcome, "heard": [t["transcript"] for t in mine],
            "not_answered": reasons_over(not_answered, start, end)}


def pause_outcome(turns: list[dict], not_answered: list[dict], first: tuple[float, float],
                  second: tuple[float, float]) -> dict:
    """A sentence with a pause: `whole` (its last answer covers both parts, also after a first answer
    was cut), `continuation` (the first part answered, then the rest as a new turn), `dropped` (a
    part in no answered turn) or `run-on` (answered in a turn that took in other sound too)."""
    on_first, on_second = answered_over(turns, *first), answered_over(turns, *second)
    if not on_first or not on_second:
        outcome = "dropped"
    elif not all(_own(t, first[0], second[1]) for t in on_first + on_second):
        outcome = "run-on"
    else:
        last = max(on_second, key=lambda t: _span(t)[1])
        outcome = "whole" if _overlaps(_span(last), *first) else "continuation"
    return {"outcome": outcome, "turns": [t["transcript"] for t in answered_over(turns, first[0], second[1])],
            "first_part_answered_alone": any(_span(t)[1] <= second[0] for t in on_first),
            "not_answered": reasons_over(not_answered, first[0], second[1])}


def own_voice_errors(run, visitor_marks) -> dict[str, int]:
    """Answers, and pauses and barge-ins whose onset is near nothing the visitor did: the avatar's voice."""
    near = lambda ms: any(m.start - 0.15 <= ms / 1000 <= m.end + 0.3 for m in visitor_marks)  # noqa: E731
    return {"answers": len(run.turns), "false_barge_ins": sum(not near(e["onset_ms"]) for e in run.barge_ins),
            "false_pauses": sum(not near(e["onset_ms"]) for e in run.backchannels)}


def own_voice_events(run, visitor_marks) -> list[dict]:
    """The pauses and barge-ins `own_voice_errors` counts, each with the visitor's nearest mark (seconds
    from its end; negative: before its start) and whether an answer was playing."""
    out = []
    for kind, events in (("barge-in", run.barge_ins), ("pause", run.backchannels)):
        for e in events:
            at = e["onset_ms"] / 1000
            if any(m.start - 0.15 <= at <= m.end + 0.3 for m in visitor_marks):
                continue
            m = min(visitor_marks, key=lambda m: min(abs(at - m.start), abs(at - m.end)), default=None)
            out.append({"kind": kind, "onset_s": round(at, 2), "near": m and m.kind,
                        "from_mark_s": m and round(at - m.end if at > m.end else at - m.start, 2)})
    return out


def count_outcomes(outcomes: list[dict], names: tuple[str, ...]) -> dict[str, int]:
    got = Counter(o["outcome"] for o in outcomes)
    return {name: got.get(name, 0) for name in names}


def add_voiced(total: dict, summary: dict) -> dict:
    """Sum of the runs' `voiced_seconds` (in, accounted by fate, unaccounted)."""
    out = {"in": round(total.get("in", 0.0) + summary.get("in", 0.0), 2),
           "accounted": dict(total.get("accounted", {})),
           "unaccounted": round(total.get("unaccounted", 0.0) + summary.get("unaccounted", 0.0), 2)}
    for fate, seconds in summary.get("accounted", {}).items():
        out["accounted"][fate] = round(out["accounted"].get(fate, 0.0) + seconds, 2)
    return out


class InterruptionTally:
    """Interruptions over the avatar's answer: caught, missed, stop latency, then answered."""

    def __init__(self) -> None:
        self.n = self.not_over = self.missed = self.answered = 0
        self.latencies: list[float] = []
        self.audible: list[float] = []
        self.onset_err: list[float] = []
        self.details: list[dict] = []

    def add(self, mark, run, barges: list[dict], held: list[dict], text: str, expect: str | None) -> None:
        """One interruption (`mark`), its run, the barge-ins and pauses near it. With no `expect`ed
        intent (real speech), "answered" is any answer to a turn from it on."""
        self.n += 1
        if not any(t["timings"]["heard_from_ms"] is not None and t["timings"]["heard_from_ms"] / 1000 < mark.start
                   < (t["cut_at_ms"] or t["timings"]["heard_until_ms"]) / 1000 + 0.05 for t in run.turns):
            self.not_over += 1                     # the avatar was not talking when they spoke: no barge-in
            self.details.append({"text": text, "over_speech": False})
            return
        rel = lambda e: {k: v - round(mark.start * 1000) for k, v in e.items()  # noqa: E731 (times from the onset)
                         if k in ("onset_ms", "paused_ms", "stopped_ms", "resumed_ms", "decided_ms")}
        if not barges:
            self.missed += 1
            self.details.append({"text": text, "caught": False, "held": [rel(e) for e in held]})
            return
        e = barges[0]
        self.latencies.append(e["stopped_ms"] - mark.start * 1000)
        self.audible.append(e["stopped_ms"] - mark.audible * 1000)
        self.onset_err.append(e["onset_ms"] - mark.start * 1000)
        got = [t["intent"] for t in run.turns if t["timings"]["speech_start_ms"] / 1000 >= mark.start - 0.3]
        self.answered += (expect in got) if expect is not None else bool(got)
        self.details.append({"text": text, "caught": True, "latency_ms": round(self.latencies[-1]), "answered": got,
                             "event": rel(e), "held": [rel(h) for h in held]})

    def summary(self) -> dict:
        lat, aud = self.latencies, self.audible
        return {"count": self.n - self.not_over, "not_over_speech": self.not_over, "missed": self.missed,
                "answered_right": self.answered,
                "stop_latency_ms": {"p50": round(pct(lat, 50), 1), "p95": round(pct(lat, 95), 1),
                                    "max": round(max(lat), 1) if lat else None},
                "stop_latency_from_audible_ms": {"p50": round(pct(aud, 50), 1), "p95": round(pct(aud, 95), 1)},
                "onset_error_ms_median": round(statistics.median(self.onset_err), 1) if self.onset_err else None,
                "details": self.details}
