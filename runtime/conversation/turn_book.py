"""What became of each turn, as the run report's records: pure builders the loop hands to its recorder.

An answer's record is made once it has been heard to its end (or cut): `finished_answers` splits the
answers still playing from those done. A turn that was not answered gets a record with its reason, a
safety answer an alert for staff, and every voiced frame is counted in the voice ledger.
"""

from __future__ import annotations

from typing import Any, Callable

from runtime.audio.frame import AudioFrame
from runtime.turn_taking.events import TurnEnd

from .kiosk_state import PendingAnswer
from .report import turn_record
from .voice_ledger import VoiceLedger


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))


def finished_answers(pending: list[PendingAnswer], now: float, final: bool,
                     viseme_keys: Callable[[float, float], Any]) -> tuple[list[dict], list[PendingAnswer]]:
    """(records of the answers done, the answers still being heard: they may yet be cut)."""
    records, still = [], []
    for p in pending:
        u = p.utterance
        playing = (u.heard_until is not None and u.heard_until > now and u.cut_at is None) or u.paused
        if not u.done.is_set() or (playing and not final):
            still.append(p)
            continue
        first = p.opening if p.opening is not None and p.opening.heard_from is not None else u
        since = first.heard_from if first.heard_from is not None else 0.0
        until = (u.heard_until if u.heard_until is not None else since) + 0.001
        records.append(turn_record(p.turn, p.answer, p.answer_ready_at, u, p.speculative,
                                   viseme_keys(since, until), p.opening, p.continues))
    return records, still


def discarded_turn(speech_start: float, speech_end: float, reason: str) -> dict:
    return {"speech_start_ms": _ms(speech_start), "speech_end_ms": _ms(speech_end), "reason": reason}


def safety_alert(turn: TurnEnd, answer, venue_time: str) -> dict:
    """The staff alert a safety answer raises (the fleet link publishes it, retained until acknowledged)."""
    return {"kind": answer.safety, "lang": answer.lang, "cue": answer.safety_cue, "transcript": turn.transcript,
            "speech_start_ms": _ms(turn.speech_start), "venue_time": venue_time}


def count_voiced(voices: VoiceLedger, frame: AudioFrame, threshold: float, turn_start: float | None) -> None:
    """Every voiced stretch of the frame into the ledger (kept or gated), then settle what is decided."""
    for f in frame.speech:
        if f.raw_prob >= threshold:
            voices.voiced(f.start, f.seconds, f.prob >= threshold)
    voices.settle(frame.end, turn_start)
