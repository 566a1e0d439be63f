"""What a pause, a resume and an interrupt do to the utterances on the air: their state and the
times they are heard. Called under SpeechOutput's lock, after the sink has stopped."""

from __future__ import annotations

from dataclasses import dataclass, field

from runtime.tts.base import SpeechSegment

from .utterance import State, Step, Utterance


@dataclass
class Pause:
    """Playback stopped `at`; `rest` is what to say on resume, in order (clauses synthesised during
    the pause join it)."""

    at: float
    rest: list[tuple[SpeechSegment, Utterance]] = field(default_factory=list)


def pause_all(active: list[Utterance], stopped: float) -> None:
    """Pause what was being heard at `stopped` or is still being synthesised (it waits too); what
    had not begun begins on resume."""
    for u in active:
        if u.heard_until is None or u.heard_until < stopped:
            if not u.done.is_set():
                u.step(Step.PAUSE)
            continue
        u.step(Step.PAUSE)
        if u.heard_from is not None and u.heard_from >= stopped:
            u.heard_from = u.heard_until = u.first_audio_at = None
        else:
            u.heard_until = stopped


def resume_all(active: list[Utterance]) -> None:
    """Each paused utterance goes back to where it had got to."""
    for u in active:
        if u.paused:
            u.step(Step.RESUME)


def interrupt_all(active: list[Utterance], stopped: float) -> None:
    """Drop everything not yet over at `stopped` (paused, still to come, still being synthesised);
    what was heard from before `stopped` is cut there."""
    for u in active:
        if u.state is State.CUT:          # cut once: where it stopped first
            continue
        if u.done.is_set() and not u.paused and (u.heard_until is None or u.heard_until <= stopped):
            continue
        if u.heard_from is not None and u.heard_from < stopped:
            u.step(Step.CUT, at=stopped)
            u.heard_until = min(u.heard_until or stopped, stopped)
        else:
            u.step(Step.DROP)
