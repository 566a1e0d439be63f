"""The run report: one JSON object with a `turns` list, written atomically."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from runtime.dialogue.responder import Answer
from runtime.speaking.speech_output import Utterance
from runtime.turn_taking.events import TurnEnd


def _ms(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1000))


def turn_record(turn: TurnEnd, answer: Answer, answer_ready_at: float, utterance: Utterance,
                speculative: bool, visemes: list[tuple[int, str]], opening: Utterance | None = None,
                continues: bool = False) -> dict[str, Any]:
    """One answered turn; `opening`: the disclosure said as its own utterance before the answer (begun
    as the turn ended), reported as part of what was spoken; `continues`: the visitor had only paused,
    and this turn's transcript holds the turn before it (same speech start), whose answer was cut."""
    first = opening if opening is not None and opening.first_audio_at is not None else utterance
    spoken = f"{opening.text} {utterance.text}" if opening is not None else utterance.text
    cut_at = utterance.cut_at if utterance.cut_at is not None or opening is None else opening.cut_at
    return {
        "transcript": turn.transcript,
        "lang": answer.lang,
        "kind": answer.kind,
        "intent": answer.intent,
        "answer_id": answer.answer_id,
        "cues": [{"cue": c.name, "at_char": c.at_char} for c in answer.cues],
        "answer": answer.text,
        "spoken": spoken,
        "cut_at_ms": _ms(cut_at),               # barge-in: the visitor stopped it here
        "paused_ms": _ms(utterance.paused_s),   # held for backchannels, then went on
        "disclosed": spoken != answer.text,
        "confidence": answer.confidence,
        "pack": answer.pack,
        "pack_sha256": answer.pack_digest,
        "safety": answer.safety,                   # the safety layer answered (emergency, lost_child, scam, ...)
        "mood": answer.mood,                       # the visitor's mood this turn (the only thing kept of it)
        "visemes": [[t, v] for t, v in visemes],
        "timings": {
            "speech_start_ms": _ms(turn.speech_start),
            "speech_end_ms": _ms(turn.speech_end),
            "turn_end_ms": _ms(turn.decided_at),
            "asr_final_ms": _ms(turn.asr_final_at),
            "answer_ready_ms": _ms(answer_ready_at),
            "first_audio_ms": _ms(first.first_audio_at),
            "heard_from_ms": _ms(first.heard_from),
            "heard_until_ms": _ms(utterance.heard_until),
            "endpoint_wait_ms": _ms(turn.waited_s),   # the silence the kiosk waited before answering
            "endpoint_hint": turn.end_hint,
        },
        "speculative": speculative,
        "continues": continues,
        "audio_seconds": round(utterance.audio_seconds + (opening.audio_seconds if opening else 0.0), 3),
        "tts_seconds": round(utterance.synth_seconds + (opening.synth_seconds if opening else 0.0), 3),
        "error": utterance.error,
    }


def frames_record(frames) -> list[dict[str, Any]]:
    return [asdict(f) for f in frames]
