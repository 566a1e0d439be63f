"""The barge-in detector's decisions applied to the avatar's speech, and recorded.

`BargeInControl.frame(frame, now, heard, turn_start)` feeds the detector one microphone frame as the
audio front end measured it (cleaned audio, speech probability, linear residual, clipping, the hall's
floor) with the speaker's level at that time, and acts: PAUSE stops the speech and closes the mouth, RESUME says
the rest of the answer (it was a backchannel), CONFIRM drops every queued answer (an interruption).
Each pause ends up in the run's events: as a barge-in (confirmed, with its stop latency measured from
the visitor's speech onset; the kiosk records it with the answers it cut) or as a backchannel
(resumed, with how long the avatar held; recorded here once it is final: a pause again within
REPAUSE_S is the same visitor still talking, one event).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from runtime.audio.frame import AudioFrame
from runtime.audio.levels import level_dbfs
from runtime.ops.event_recorder import EventKind, EventRecorder
from runtime.speaking.speech_output import SpeechOutput, Utterance

from .backchannel_words import interrupting_words, interrupts
from .barge_in import BargeInConfig, BargeInDetector, Decision
from .events import TurnEnd
from .judges import InterruptionJudge

_LOGGER = logging.getLogger(__name__)


REPAUSE_S = 1.0    # a new pause this soon after going on is the same visitor still talking
# The avatar's words that can be in what the recogniser heard: from its pre-roll before the turn's
# speech began, and this long before that (the room rings on), until the words are judged.
ROOM_RING_S = 0.5
# A raw microphone chunk that reached full scale (`AudioFrame.clipped`): the echo path was not linear there (the speaker
# drove the microphone into clipping), so a jump of the linear filter's residual there and for the
# next few chunks while it settles is the echo's distortion, not a visitor (bench/turn_taking.py at
# a 0 dB echo path: 15-34 dB under the raw microphone's level) — unless the residual stands within
# CLIP_VOICE_DB of the raw level: the filter removed almost nothing, so most of what the microphone
# hears is not the echo (a visitor whose voice on top of the avatar's clipped it: 2-8 dB under).
CLIP_HOLD_S = 0.1
CLIP_VOICE_DB = 8.0


def _ms(t: float) -> int:
    return int(round(t * 1000))


class BargeInControl:
    def __init__(self, config: BargeInConfig, speech: SpeechOutput, events: EventRecorder | None = None,
                 asks: Callable[[str], bool] = lambda words: False, preroll_s: float = 0.0,
                 judge: InterruptionJudge | None = None):
        self.events = events or EventRecorder()
        self.config = config
        self.asks = asks                  # do these words make a question the venue's content answers?
        self.preroll_s = preroll_s        # audio the recogniser was given from before a turn's speech began
        self.detector: InterruptionJudge = judge or BargeInDetector(config)
        self.speech = speech
        self._clipped_until = -1.0
        self.barge_ins: list[dict[str, Any]] = []      # confirmed interruptions, the last is `interruption`
        self.backchannels: list[dict[str, Any]] = []
        self._unrecorded: dict[str, Any] | None = None   # the last backchannel, until it is final
        self._pause: dict[str, Any] | None = None

    def frame(self, frame: AudioFrame, now: float, heard: Callable[[], str] = lambda: "",
              turn_start: float | None = None) -> Decision | None:
        """`heard()`: the recogniser's words so far for the sound over the avatar (asked only when
        the detector would resume: a cue word or two words of meaning confirm the interruption);
        `turn_start`: where the recogniser's open turn began (None between turns)."""
        chunk = frame.clean
        if frame.clipped:
            self._clipped_until = frame.raw.end + CLIP_HOLD_S
        speaking = chunk.timestamp < self.speech.busy_until() or self.speech.paused
        far = self.speech.far_level(chunk.timestamp, self.config.reverb_s)
        clipped = chunk.timestamp < self._clipped_until
        linear = frame.linear_rms
        if clipped and linear is not None and level_dbfs(linear) < frame.raw_db - CLIP_VOICE_DB:
            linear = None
        decision = self.detector.frame(chunk.timestamp, chunk.seconds, frame.speech_prob, frame.clean_rms, far,
                                       speaking, linear, frame.hall_floor_db, clipped)
        said = None
        if decision is Decision.RESUME and self._pause is not None and self.detector.heard_alone:
            said = heard()
            own = self._own_words(turn_start, chunk.end)
            if self._interrupting(said, own):
                words = interrupting_words(said, own)
                _LOGGER.info("words over the avatar %s: an interruption, not a backchannel", words)
                decision = self.detector.confirm()
        if decision is Decision.PAUSE:
            stopped = self.speech.pause(now)
            self._pause = {"onset_ms": _ms(self.detector.onset), "paused_ms": _ms(chunk.end),
                           "stopped_ms": _ms(stopped), "latency_ms": _ms(stopped - self.detector.onset)}
            last = self.backchannels[-1] if self.backchannels else None
            if last is not None and self.detector.onset - last["resumed_ms"] / 1000 < REPAUSE_S:
                # It went on for a moment only: the same visitor, still talking. One event, timed
                # from their first onset (what the bench and the report judge).
                self.backchannels.pop()
                self._unrecorded = None
                self._pause = {**last, "resumed_between_ms": last["held_ms"]}
                del self._pause["resumed_ms"], self._pause["held_ms"]
            else:
                self.flush()
            _LOGGER.info("speech over the avatar at %.2f s: paused %d ms later", self.detector.onset,
                         self._pause["latency_ms"])
        elif decision is Decision.RESUME:
            self.speech.resume(now)
            event = {**(self._pause or {}), "resumed_ms": _ms(chunk.end)}
            event["held_ms"] = event["resumed_ms"] - event.get("stopped_ms", event["resumed_ms"])
            self.backchannels.append(event)
            self._unrecorded = event
            self._pause = None
            _LOGGER.info("only a backchannel%s: the avatar goes on after %d ms",
                         "" if said is None else f" (heard {said!r})", event["held_ms"])
        elif decision is Decision.CONFIRM:
            self._interrupted(now, chunk.end)
        return decision

    @property
    def interruption(self) -> dict[str, Any]:
        """The last confirmed interruption (the kiosk records it with the answers it cut)."""
        return self.barge_ins[-1]

    def turn_ended(self) -> None:
        """A visitor's turn is over. If it was an interruption, that is done with: the next answer may
        start at once, with no silence for the detector to reset in, and it must hear the next one."""
        if self.detector.confirmed:
            self.detector.reset()

    def flush(self) -> None:
        """Record the last backchannel: nothing can join it any more (a new pause, the run's end)."""
        if self._unrecorded is not None:
            self.events.record(EventKind.BACKCHANNEL, self._unrecorded)
            self._unrecorded = None

    def judge_turn(self, turn: TurnEnd, now: float) -> Decision | None:
        """A turn that began over the avatar ended while it is paused, undecided: its words decide
        now. ("Wait, … how much is parking?" ends its turn 320 ms after "parking", before the
        350 ms of silence that would have asked for the words.)"""
        if not self.detector.paused or self._pause is None:
            return None
        if not self._interrupting(turn.transcript, self._own_words(turn.heard_span[0], turn.decided_at)):
            return None
        _LOGGER.info("the turn heard over the avatar %r interrupts it", turn.transcript)
        self.detector.confirm()
        self._interrupted(now, turn.decided_at)
        return Decision.CONFIRM

    def _own_words(self, since: float | None, until: float) -> str:
        """What the avatar said that the room could carry into the words heard since `since`."""
        onset = self._pause["onset_ms"] / 1000 if self._pause else self.detector.onset
        starts = [t for t in (since, onset) if t is not None]
        return self.speech.said_between(min(starts, default=until) - self.preroll_s - ROOM_RING_S, until)

    def _interrupting(self, said: str, own: str) -> bool:
        """A cue word, two words of meaning, or — what pocketsphinx leaves of "Wait, how much is
        parking?" ("what what is parking or") — a question the venue answers, in the words that
        are not the avatar's own `own` (two words at least: of a hum it makes one, "member")."""
        left = interrupting_words(said, own)
        return interrupts(said, own) or (len(left) >= 2 and self.asks(" ".join(left)))

    def _interrupted(self, now: float, t: float) -> None:
        self.speech.interrupt(now)
        event = {**(self._pause or {}), "decided_ms": _ms(t)}
        self.barge_ins.append(event)
        self._pause = None
        _LOGGER.info("barge-in: the visitor spoke at %.2f s; the avatar stopped %d ms later",
                     event["onset_ms"] / 1000, event["latency_ms"])


def heard_fraction(u: Utterance) -> float:
    """How much of a cut utterance's audio the visitor heard (pauses do not count)."""
    if u.cut_at is None or u.heard_from is None or not u.audio_seconds:
        return 1.0
    return max(0.0, min(1.0, (u.cut_at - u.heard_from - u.paused_s) / u.audio_seconds))
