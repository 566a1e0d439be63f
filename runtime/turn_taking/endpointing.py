"""End-of-turn detection: pure logic, time passed in, no clock inside.

`Endpointer.process(start, seconds, speech_prob, hint)` takes one VAD frame
and returns what happened. `hint` comes from the recogniser's partial result
(`turn_hints.end_hint`): words that already make a question the venue's content
answers end the turn after the short silence; words that stop on a filler or in
the middle of a phrase ("where is the…", "嗯…") after the long, hesitation
silence; anything else after the ordinary one.
During a pause it asks once for a speculative answer, so recognition, matching
and synthesis can run while the kiosk is still deciding whether the visitor
has finished.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from runtime.shared.errors import ConfigError

from .turn_hints import EndHint


@dataclass(frozen=True)
class EndpointConfig:
    speech_threshold: float = 0.5
    silence_threshold: float = 0.35   # hysteresis: below this a frame counts as silence
    min_speech_s: float = 0.12        # shorter bursts (a click, a cough) are not a turn
    end_silence_s: float = 1.0        # trailing silence when the words say nothing either way
    quick_end_silence_s: float = 0.3  # after words that already make a known question
    hesitation_end_silence_s: float = 1.3  # after "um…", "and…", "where is the…": they are thinking
    speculate_after_s: float = 0.03   # pause length at which a speculative answer starts
    max_turn_s: float = 15.0          # a turn is closed after this much speech
    preroll_s: float = 0.5            # audio kept from before the onset for the recogniser (its first syllable)

    def __post_init__(self) -> None:
        for field in ("min_speech_s", "end_silence_s", "quick_end_silence_s", "hesitation_end_silence_s",
                      "speculate_after_s", "max_turn_s", "preroll_s"):
            if getattr(self, field) < 0:
                raise ConfigError(f"endpoint.{field}: expected a duration >= 0 s")
        if not 0 < self.silence_threshold <= self.speech_threshold < 1:
            raise ConfigError("endpoint: expected 0 < silence_threshold <= speech_threshold < 1")
        if self.quick_end_silence_s > self.end_silence_s:
            raise ConfigError("endpoint.quick_end_silence_s: expected <= end_silence_s")
        if self.hesitation_end_silence_s < self.end_silence_s:
            raise ConfigError("endpoint.hesitation_end_silence_s: expected >= end_silence_s")


class EndpointKind(enum.Enum):
    SPEECH_STARTED = "speech_started"
    SPECULATE = "speculate"          # a pause: prepare an answer, it may be thrown away
    SPEECH_RESUMED = "speech_resumed"  # the pause was not the end: drop speculation
    TURN_ENDED = "turn_ended"
    DISCARDED = "discarded"          # too short to be a turn


@dataclass(frozen=True)
class EndpointEvent:
    kind: EndpointKind
    time: float            # when the event was decided (end of the frame that decided it)
    speech_start: float = 0.0
    speech_end: float = 0.0  # end of the last speech frame: where the visitor stopped
    waited_s: float = 0.0    # trailing silence the kiosk waited before ending the turn
    hint: str = "none"       # what the words said when it ended (complete / hesitating / none)


class _State(enum.Enum):
    IDLE = "idle"
    SPEECH = "speech"
    PAUSE = "pause"


class Endpointer:
    def __init__(self, config: EndpointConfig = EndpointConfig()):
        self.config = config
        self._state = _State.IDLE
        self._speech_start = 0.0
        self._speech_end = 0.0
        self._speech_s = 0.0
        self._speculated = False

    @property
    def in_turn(self) -> bool:
        return self._state is not _State.IDLE

    @property
    def speech_start(self) -> float:
        """Start of the first speech frame of the open (or last) turn."""
        return self._speech_start

    @property
    def speech_end(self) -> float:
        """End of the last speech frame of the open turn."""
        return self._speech_end

    @property
    def in_pause(self) -> bool:
        """In a turn, in a silence that may yet end it."""
        return self._state is _State.PAUSE

    def reset(self) -> None:
        self._state = _State.IDLE
        self._speech_s = 0.0
        self._speculated = False

    def process(self, start: float, seconds: float, speech_prob: float,
                hint: EndHint | bool = EndHint.NONE) -> list[EndpointEvent]:
        """`hint` may be a bool for "complete" (True) or not known (False)."""
        if isinstance(hint, bool):
            hint = EndHint.COMPLETE if hint else EndHint.NONE
        cfg = self.config
        end = start + seconds
        events: list[EndpointEvent] = []
        if self._state is _State.IDLE:
            if speech_prob >= cfg.speech_threshold:
                self._state = _State.SPEECH
                self._speech_start, self._speech_end, self._speech_s = start, end, seconds
                self._speculated = False
                events.append(EndpointEvent(EndpointKind.SPEECH_STARTED, end, start, end))
            return events

        is_speech = speech_prob >= (cfg.silence_threshold if self._state is _State.SPEECH
                                    else cfg.speech_threshold)
        if is_speech:
            if self._state is _State.PAUSE and self._speculated:
                events.append(EndpointEvent(EndpointKind.SPEECH_RESUMED, end,
                                            self._speech_start, self._speech_end))
            self._state = _State.SPEECH
            self._speculated = False
            self._speech_end = end
            self._speech_s += seconds
            if end - self._speech_start >= cfg.max_turn_s:
                events.append(self._end(end))
            return events

        self._state = _State.PAUSE
        silence = end - self._speech_end
        if self._speech_s < cfg.min_speech_s:
            if silence >= cfg.end_silence_s:
                self.reset()
                events.append(EndpointEvent(EndpointKind.DISCARDED, end,
                                            self._speech_start, self._speech_end))
            return events
        limit = {EndHint.COMPLETE: cfg.quick_end_silence_s, EndHint.HESITATING: cfg.hesitation_end_silence_s
                 }.get(hint, cfg.end_silence_s)
        if silence >= limit:
            events.append(self._end(end, hint.value))
        elif silence >= cfg.speculate_after_s and not self._speculated:
            self._speculated = True
            events.append(EndpointEvent(EndpointKind.SPECULATE, end,
                                        self._speech_start, self._speech_end))
        return events

    def flush(self, now: float) -> list[EndpointEvent]:
        """End of input: close a turn in progress (if it was long enough)."""
        if self._state is _State.IDLE:
            return []
        if self._speech_s < self.config.min_speech_s:
            self.reset()
            return [EndpointEvent(EndpointKind.DISCARDED, now, self._speech_start, self._speech_end)]
        return [self._end(now)]

    def _end(self, now: float, hint: str = "none") -> EndpointEvent:
        event = EndpointEvent(EndpointKind.TURN_ENDED, now, self._speech_start,
                              self._speech_end, waited_s=max(0.0, now - self._speech_end), hint=hint)
        self.reset()
        return event
