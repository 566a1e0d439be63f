"""The listening stage: the front end's frames -> endpointer -> streaming recogniser.

`Listener.process(frame, clock)` returns what happened in that chunk: a turn
started, a pause worth speculating on (with the words so far), the pause was
not the end, or the turn ended (with the final transcript).

The recogniser hears the visitor's speech and the short gaps in it, not the
hall: of a pause it hears the first `TAIL_S` at once (that settles the last
word, so the partial words that steer the end of the turn are whole), and
Whisper also a quiet ending the VAD still hears (`quiet_end`); the rest is held
back and given to it only if the visitor speaks again. A recogniser left to
listen to a second of crowd murmur finds words in it.

Whether a turn was a visitor or the hall is `turn_judge.judge_turn`'s verdict on the level gate's
judgement, the VAD's own probability over the turn's speech and, for a turn the level alone would
drop, the recogniser's evidence on its decoded words.
"""

from __future__ import annotations

import collections
import logging
from typing import Callable, Union

from runtime.asr.base import Recognizer
from runtime.audio.chunk import AudioChunk
from runtime.audio.frame import AudioFrame
from runtime.audio.sources import CHUNK_SECONDS
from runtime.turn_taking.endpointing import EndpointKind
from runtime.turn_taking.events import TOO_SHORT, DiscardedTurn, RunEvent, Speculation, TurnEnd
from runtime.turn_taking.judges import TurnEndJudge
from runtime.turn_taking.turn_hints import EndHint, end_hint, said_words, steadier

from .quiet_end import QUIET_END_MAX_S, QUIET_START_MAX_S, TAIL_S, PauseChunk, heard_before_onset, heard_of_pause
from .turn_judge import JudgeConfig, Judgement, TurnEvidence, Verdict, judge_turn
from .turn_state import NO_TURN, TurnPhase, TurnState

_LOGGER = logging.getLogger(__name__)

JUDGE_AFTER_S = 1.5   # into a turn, when the front end first judges it a visitor or the crowd
ListenEvent = Union[tuple[RunEvent, float], tuple[RunEvent, Speculation], tuple[RunEvent, TurnEnd],
                    tuple[RunEvent, DiscardedTurn]]
Clock = Callable[[], float]
# (a turn's speech levels, the floor then, learn=True): with learn, a turn judged not near is learned as the crowd's
NearTalker = Callable[..., bool]


class Listener:
    def __init__(self, recognizer: Recognizer, endpointer: TurnEndJudge,
                 is_complete: Callable[[str], bool] = lambda text: False,
                 near_talker: NearTalker = lambda levels, floor, learn=True: True,
                 judge: JudgeConfig = JudgeConfig()):
        self.recognizer = recognizer
        self.endpointer = endpointer
        self.near_talker = near_talker   # the front end's judgement: a visitor at the kiosk, not the crowd
        self.judge = judge               # ... weighed with the VAD's and the recogniser's (turn_judge.py)
        self.is_complete = is_complete   # do these words make a question the venue's content answers?
        preroll_chunks = max(1, round(max(endpointer.config.preroll_s, QUIET_START_MAX_S) / CHUNK_SECONDS))
        self._preroll: collections.deque[tuple[AudioChunk, bool]] = collections.deque(maxlen=preroll_chunks)
        self._partial_cache: tuple[float, EndHint] = (-1.0, EndHint.NONE)
        self._pause_hint: tuple[float, EndHint] | None = None   # (the pause's speech end, last raw hint)
        self._pause_words = ""                # the recogniser's words when last asked in a pause
        self._guessed: str | None = None      # the words this pause's speculative answer was asked with
        self._guessed_again = False           # ... and it was asked again once they changed
        self.audio_seconds = 0.0
        self._turn_levels: list[float] = []   # dBFS of the open turn's speech frames
        self._turn_vad: list[float] = []      # the VAD's own probability of the same frames
        self._held: list[tuple[AudioChunk, bool]] = []   # a pause's audio (and: voiced?), for the recogniser if speech resumes
        self.far_turns = 0        # turns dropped as the crowd / a far talker (level gate)
        self.quiet_turns_kept = 0  # turns the level alone would have dropped, kept on the VAD's and recogniser's word
        self._utt_start: float | None = None  # time of the first sample the recogniser heard this turn
        self._heard_to: float | None = None   # ... and just after its last
        self._turn_floor: float | None = None  # the hall's floor when the open turn began
        self._judged = False   # the open turn was judged after JUDGE_AFTER_S of its speech
        self._undecided = False  # ... and left to be judged at its end, on its decoded words
        # Told the moment a visitor's turn is over, before its final words are decoded (the kiosk starts
        # the spoken disclosure there while the answer is being decided).
        self.on_turn_ending: Callable[[float], None] | None = None

    @property
    def in_turn(self) -> bool:
        return self.endpointer.in_turn

    @property
    def turn_state(self) -> TurnState:
        """Where the open turn is (none, speaking, paused) and the median level of its speech so far."""
        if not self.endpointer.in_turn:
            return NO_TURN
        phase = TurnPhase.PAUSED if self.endpointer.in_pause else TurnPhase.SPEAKING
        level = sorted(self._turn_levels)[len(self._turn_levels) // 2] if self._turn_levels else None
        return TurnState(phase, level)

    @property
    def preroll_s(self) -> float:
        """Audio the recogniser is given from before a turn's speech began."""
        return self.endpointer.config.preroll_s

    def process(self, frame: AudioFrame, clock: Clock) -> list[ListenEvent]:
        events: list[ListenEvent] = []
        chunk = frame.clean
        was_in_turn = self.endpointer.in_turn
        voiced = any(f.raw_prob >= self.endpointer.config.speech_threshold for f in frame.speech)
        if was_in_turn:
            self._held.append((chunk, voiced))
        level = frame.clean_db
        for start, seconds, prob, raw in ((f.start, f.seconds, f.prob, f.raw_prob) for f in frame.speech):
            hint = EndHint.NONE
            if self.endpointer.in_turn and prob < self.endpointer.config.speech_threshold:
                hint = self._hint_at(start)
                events += self._guess_again(start)
            elif self.endpointer.in_turn:
                self._turn_levels.append(level)
                self._turn_vad.append(raw)
            for ev in self.endpointer.process(start, seconds, prob, hint):
                if ev.kind is EndpointKind.SPEECH_STARTED:
                    self._turn_levels, self._turn_vad, self._judged, self._undecided = [level], [raw], False, False
                    self._guessed, self._pause_words = None, ""
                    self._turn_floor = frame.hall_floor_db
                    self.recognizer.start()
                    self._utt_start = self._heard_to = None
                    self._feed_preroll(chunk.timestamp)
                    if not was_in_turn:
                        self._feed(chunk)
                    events.append((RunEvent.SPEECH_STARTED, ev.speech_start))
                elif ev.kind is EndpointKind.SPECULATE:
                    self._guessed, self._guessed_again = self.recognizer.partial(), False
                    events.append((RunEvent.SPECULATION_STARTED, Speculation(self._guessed, ev.time)))
                elif ev.kind is EndpointKind.SPEECH_RESUMED:
                    self._guessed = None
                    events.append((RunEvent.SPECULATION_DROPPED, ev.time))
                elif ev.kind is EndpointKind.TURN_ENDED:
                    events.append(self._ended(ev, clock))
                elif ev.kind is EndpointKind.DISCARDED:
                    self._held = []
                    self.recognizer.finish()
                    events.append((RunEvent.TURN_DISCARDED,
                                   DiscardedTurn(ev.speech_start, ev.speech_end, ev.time, TOO_SHORT)))
        events += self._crowd_turn(frame)
        if self.endpointer.in_turn and not self.endpointer.in_pause:
            for held, _ in self._held:       # speech (again): the gap was part of the sentence
                self._feed(held)
            self._held = []
        elif self.endpointer.in_pause:       # the pause's start, and a quiet ending the VAD still hears
            self._feed_pause()
        self._preroll.append((chunk, voiced))
        return events

    def turn_start(self) -> float | None:
        """Where the open turn begins: its speech, or the audio before it the recogniser was given (the
        pre-roll, a soft first word); None between turns."""
        if not self.endpointer.in_turn:
            return None
        start = self.endpointer.speech_start
        return start if self._utt_start is None else min(start, self._utt_start)

    def set_recognizer(self, recognizer: Recognizer) -> None:
        """Listen with another recogniser (the visitor switched language) from the next turn on."""
        if self.endpointer.in_turn:
            self.recognizer.finish()
            recognizer.start()
            self._utt_start = None
        self.recognizer = recognizer
        self._partial_cache = (-1.0, EndHint.NONE)
        _LOGGER.info("listening with %s (%s) from the next turn", recognizer.name,
                     getattr(recognizer, "language", "?"))

    def flush(self, clock: Clock) -> list[ListenEvent]:
        """End of input: finish a turn that was still open."""
        events: list[ListenEvent] = []
        for ev in self.endpointer.flush(clock()):
            if ev.kind is EndpointKind.TURN_ENDED:
                events.append((RunEvent.TURN_ENDED, self._final(ev, clock)))
            else:
                self.recognizer.finish()
                events.append((RunEvent.TURN_DISCARDED, DiscardedTurn(ev.speech_start, ev.speech_end, ev.time, TOO_SHORT)))
        return events

    def _guess_again(self, t: float) -> list[ListenEvent]:
        """The speculative answer is asked for 30 ms into a pause, before Whisper has decoded anything
        (its words come with its first decode, ~0.5 s later): the first time the words change in the
        pause, it is asked again with them (the kiosk drops the first guess), so the answer's first
        clause is ready sooner."""
        if (self._guessed is None or self._guessed_again or not self.endpointer.in_pause
                or not self._pause_words or self._pause_words == self._guessed):
            return []
        self._guessed, self._guessed_again = self._pause_words, True
        return [(RunEvent.SPECULATION_STARTED, Speculation(self._pause_words, t))]

    def _ended(self, ev, clock: Clock) -> ListenEvent:
        """The endpointer ended a turn: answered, or dropped as the hall's (with the reason)."""
        self._guessed = None
        judgement = self._judgement(ev.time - ev.speech_start)
        if judgement.verdict is Verdict.CROWD:
            self._held = []
            self.recognizer.finish()
            return self._drop(ev.speech_start, ev.speech_end, ev.time, judgement)
        if judgement.verdict is Verdict.VISITOR:
            if self.on_turn_ending is not None:
                self.on_turn_ending(ev.time)
            return RunEvent.TURN_ENDED, self._final(ev, clock)
        end = self._final(ev, clock)          # undecided: its decoded words decide
        judgement = self._judgement(ev.time - ev.speech_start, self.recognizer.speech_evidence(), ended=True)
        if judgement.verdict is not Verdict.VISITOR:
            return self._drop(ev.speech_start, ev.speech_end, ev.time, judgement)
        self.quiet_turns_kept += 1
        _LOGGER.info("turn kept: %s (%s)", judgement.reason, judgement.detail)
        if self.on_turn_ending is not None:
            self.on_turn_ending(ev.time)
        return RunEvent.TURN_ENDED, end

    def _crowd_turn(self, frame: AudioFrame) -> list[ListenEvent]:
        """A crowd that opened a turn would hold it open as long as it murmurs (and swallow the visitor
        who then speaks): judged once, JUDGE_AFTER_S after it began, it ends there as the crowd's;
        unless the VAD is sure of it and the recogniser can judge its words at its end (undecided:
        then it ends as the crowd's only if it runs past `JudgeConfig.max_undecided_s`)."""
        if not self.endpointer.in_turn or (self._judged and not self._undecided):
            return []
        elapsed = frame.clean.end - self.endpointer.speech_start
        if elapsed < JUDGE_AFTER_S:
            return []
        self._judged = True
        judgement = self._judgement(elapsed)
        self._undecided = judgement.verdict is Verdict.UNDECIDED
        if judgement.verdict is not Verdict.CROWD:
            return []
        start, end = self.endpointer.speech_start, self.endpointer.speech_end
        self.endpointer.reset()
        self._held = []
        self.recognizer.finish()
        return [self._drop(start, end, frame.clean.end, judgement)]

    def _judgement(self, turn_s: float, speech=None, ended: bool = False) -> Judgement:
        """`judge_turn` on what is known of the open turn (`speech`: the recogniser's evidence)."""
        if self.near_talker(self._turn_levels, self._turn_floor, learn=False):
            return judge_turn(TurnEvidence(True, None, False), self.judge)
        vad = sorted(self._turn_vad)[len(self._turn_vad) // 2] if self._turn_vad else None
        return judge_turn(TurnEvidence(False, vad, self.recognizer.weighs_speech, speech, turn_s, ended), self.judge)

    def _drop(self, start: float, end: float, at: float, judgement: Judgement) -> ListenEvent:
        """A turn given up as the crowd's or a far talker's: its voice is learned as the crowd's, it is
        counted and reported with the reason."""
        self.near_talker(self._turn_levels, self._turn_floor, learn=True)
        self.far_turns += 1
        _LOGGER.info("turn dropped: %s (%s); its speech median %.0f dBFS, floor %s dBFS when it began",
                     judgement.reason, judgement.detail or "level", sorted(self._turn_levels)[len(self._turn_levels) // 2],
                     "?" if self._turn_floor is None else f"{self._turn_floor:.0f}")
        return RunEvent.TURN_DISCARDED, DiscardedTurn(start, end, at, judgement.reason)

    def _feed(self, chunk: AudioChunk) -> None:
        if self._utt_start is None:
            self._utt_start = chunk.timestamp
        self._heard_to = chunk.end
        self.recognizer.accept(chunk)
        self.audio_seconds += chunk.seconds

    def _hint_at(self, t: float) -> EndHint:
        # Ask the recogniser at most once per 100 ms of pause: its partial is not free.
        last_t, last = self._partial_cache
        if t - last_t < 0.1:
            return last
        words = self.recognizer.partial_words()
        self._pause_words = " ".join(w.word for w in words)
        end = None if self._utt_start is None else self.endpointer.speech_end - self._utt_start
        said = said_words(words, end)
        raw = end_hint(said, self.is_complete)
        same_pause = self._pause_hint is not None and self._pause_hint[0] == self.endpointer.speech_end
        result = steadier(self._pause_hint[1] if same_pause else None, raw)
        self._pause_hint = (self.endpointer.speech_end, raw)
        if _LOGGER.isEnabledFor(logging.DEBUG):
            _LOGGER.debug("end hint %s (%s) from %r (speech ended %s s) of %s", result.value, raw.value, said,
                          None if end is None else round(end, 2), [(w.word, w.start, w.end) for w in words])
        self._partial_cache = (t, result)
        return result

    def _feed_preroll(self, onset: float) -> None:
        """Before a turn's speech: its last `preroll_s`, and a quiet start the VAD heard (`quiet_end`)."""
        chunks = list(self._preroll)
        lead = self.endpointer.config.preroll_s
        heard = heard_before_onset([PauseChunk(c.timestamp, c.end, voiced) for c, voiced in chunks], onset, lead,
                                   QUIET_START_MAX_S if self.recognizer.weighs_speech else lead)
        for old, _ in chunks[len(chunks) - heard:]:
            self._feed(old)

    def _feed_pause(self, speech_end: float | None = None) -> None:
        """Of the pause's held audio, what the recogniser hears now (`quiet_end.heard_of_pause`)."""
        end = self.endpointer.speech_end if speech_end is None else speech_end
        heard = heard_of_pause([PauseChunk(c.timestamp, c.end, voiced) for c, voiced in self._held], end, TAIL_S,
                               QUIET_END_MAX_S if self.recognizer.weighs_speech else TAIL_S)
        for held, _ in self._held[:heard]:
            self._feed(held)
        del self._held[:heard]

    def _final(self, ev, clock: Clock) -> TurnEnd:
        self._feed_pause(ev.speech_end)      # the start of the final silence, not the rest
        self._held = []
        transcript = self.recognizer.finish()
        ready_at = max(ev.speech_end, clock() - self.recognizer.ready_ago())   # a guess decoded in the pause
        self._partial_cache = (-1.0, EndHint.NONE)
        return TurnEnd(transcript, ev.speech_start, ev.speech_end, ev.time, ready_at, ev.waited_s, ev.hint,
                       self._utt_start, self._heard_to)
