"""The conversation loop: listen, understand, answer aloud, animate.

This is the I/O edge that wires the pure stages together. One thread runs the
loop (audio in -> listener -> responder -> avatar); the speech output has its
own worker so synthesis and playback never stall listening.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any, Callable

from runtime.audio.chunk import AudioChunk
from runtime.audio.frame import AudioFrame
from runtime.audio.sources import AudioSource
from runtime.dialogue.prompts import prompt
from runtime.dialogue.responder import Responder
from runtime.dialogue.session import Kind
from runtime.display.avatar_view import AvatarView
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.listener import Listener
from runtime.ops.event_recorder import EventKind, EventRecorder
from runtime.speaking.speech_output import SpeechOutput, Utterance
from runtime.surroundings.presence import ActionKind, Surroundings
from runtime.tts.answer_cache.prepared import PreparedSpeech
from runtime.turn_taking.barge_in import BargeInConfig, Decision
from runtime.turn_taking.barge_in_control import BargeInControl, heard_fraction
from runtime.turn_taking.events import RunEvent, Speculation, TurnEnd

from .avatar_driver import AvatarDriver, avatar_mode
from .job_inbox import JobInbox
from .kiosk_switching import Switching
from .kiosk_state import Guess, KioskRun, LanguageBackends, PendingAnswer, continued_turn
from .mood_link import NOTICE_S, MoodLink, staff_notice
from .lines import disclosure_text, greeting_text, spoken_text
from .turn_book import count_voiced, discarded_turn, finished_answers, safety_alert
from .turn_language import heard_language
from .voice_ledger import VoiceLedger

_LOGGER = logging.getLogger(__name__)
ANSWERED = "answered"
NOTHING_RECOGNISED = "nothing recognised in it"
OVER_THE_AVATAR = "over the avatar's voice, not an interruption (echo or a backchannel)"
RECOGNISER_DOWN = "the recogniser was down (the visitor was told)"
TAIL_S = 0.5  # keep animating this long after the last answer ends
FLOOR_HOLD_S = 0.5  # the echo canceller's suppressor needs this long after the avatar stops


class Kiosk(Switching):
    def __init__(self, source: AudioSource, front_end: AudioFrontEnd, listener: Listener, responder: Responder,
                 speech: SpeechOutput, view: AvatarView, lang: str, realtime: bool, *,
                 max_turns: int | None = None, panel: Surroundings | None = None,
                 languages: LanguageBackends | None = None,
                 venue_now: Callable[[], dt.datetime] | None = None,
                 barge_in: BargeInConfig | None = BargeInConfig(), events: EventRecorder | None = None,
                 prepared: PreparedSpeech | None = None, mood: MoodLink | None = None):
        self.source = source
        self.mood = mood or MoodLink()   # the visitor's mood per turn, and the hand-over to staff
        self.prepared = prepared    # the answer cache: answers synthesised before they are asked
        self.front_end = front_end
        self.listener = listener
        self.responder = responder
        self.languages = languages
        self.venue_now = venue_now or (lambda: responder.venue_time(dt.datetime.now(dt.timezone.utc)))
        self._session = None       # made at first use: the responder may still be loading at start-up
        self._listen_languages = languages.listenable if languages else (lang,)
        self.events = events or EventRecorder()   # turns, greetings, barge-ins, what went unanswered and why
        self.barge = (BargeInControl(barge_in, speech, self.events, listener.is_complete, listener.preroll_s)
                      if barge_in is not None else None)
        self._over_speech = False   # the open turn began while the avatar was talking
        self._continues: TurnEnd | None = None   # the visitor went on after a pause the kiosk took as the end
        self.speech = speech
        self.view = view
        self.lang = lang
        self.home_lang = lang   # each new visitor is first addressed in this language
        self.realtime = realtime
        self.max_turns = max_turns
        self.panel = panel
        self.tick_listeners: list[Callable[[float], None]] = []     # each chunk (the service watchdog)
        self._turn_started_at = 0.0
        self.voices = VoiceLedger()   # every voiced second in, and what became of it
        self.run_state = KioskRun()
        self.events.subscribe(self.run_state.on_event)
        self._guess: Guess | None = None
        self._pending: list[PendingAnswer] = []
        self.avatar = AvatarDriver(view, speech)
        self._opening: Utterance | None = None   # the disclosure, begun as a new visitor's turn ended
        if prepared is not None:                 # said from the cache while their answer is decided
            listener.on_turn_ending = self._turn_ending
        self._inbox = JobInbox()
        self.stop_requested: str | None = None
        self.rights_guard: Any = None      # the composition root's RightsGuard, when assets are fleet-installed
        self.service_health: Any = None    # the composition root's StartupHealth (an embedded agent reports its link)

    @property
    def session(self):
        """The visitor's conversation."""
        if self._session is None:
            self._session = self.responder.session(self._listen_languages)
        return self._session

    @session.setter
    def session(self, value) -> None:
        self._session = value

    def post(self, job: Callable[[], None]) -> None:
        """Run `job` on the kiosk's own thread before the next audio chunk (the fleet agent's way in)."""
        self._inbox.post(job)

    def run(self) -> KioskRun:
        for chunk in self.source.chunks():
            self._inbox.run_all()
            for tick in self.tick_listeners:
                tick(chunk.end)
            if (self.lang != self.home_lang and not self.listener.in_turn
                    and self.session.expired(chunk.timestamp)):
                self._switch_language(self.home_lang)
            self.listener.recognizer.tick()   # a failed recogniser is rebuilt between turns
            if self.prepared is not None:     # the cache builder never competes with a visitor
                self.prepared.set_busy(self._busy(chunk.timestamp))
            frame = self._measure(chunk)
            if frame.clean.audio:
                self.mood.hear(frame.clean)
                for event, payload in self.listener.process(frame, self.source.now):
                    self._on_event(event, payload)
                count_voiced(self.voices, frame, self.listener.endpointer.config.speech_threshold,
                             self.listener.turn_start())
                self._check_barge_in(frame)
            self._collect_finished()
            if self.panel is not None:
                self._on_surroundings(chunk.end)
            self._animate_at(chunk.end)
            if self.stop_requested:
                _LOGGER.info("stopping: %s", self.stop_requested)
                break
            if self.view.display.quit_requested():
                _LOGGER.info("quit requested on the display")
                break
            if self.max_turns is not None and len(self.run_state.turns) + len(self._pending) >= self.max_turns:
                _LOGGER.info("answered %d turns: stopping", self.max_turns)
                break
        for event, payload in self.listener.flush(self.source.now):
            self._on_event(event, payload)
        self._drop_guess()
        self._finish()
        return self.run_state

    # -- events
    def _on_event(self, event: RunEvent, payload) -> None:
        if event is RunEvent.SPEECH_STARTED:
            _LOGGER.debug("visitor speaking from %.2f s", payload)
            self._turn_started_at = payload
            self._over_speech = self.barge is not None and (payload < self.speech.busy_until() or self.speech.paused)
            # A new visitor's answer follows the spoken disclosure, which covers its final decode: the
            # pause's CPU goes to the speculative answer (bench/voice_loop.py: the first question). A
            # turn over the avatar's voice is judged on its streaming words as they come (barge-in).
            self.listener.recognizer.decode_in_pause = not (self.session.expired(payload) or self._over_speech)
            if self.panel is not None:
                self.panel.policy.on_activity(payload)
        elif event is RunEvent.SPECULATION_STARTED:
            self._speculate(payload)
        elif event is RunEvent.SPECULATION_DROPPED:
            self._drop_guess()
        elif event is RunEvent.TURN_ENDED:
            if self._over_speech and self.barge.judge_turn(payload, self.source.now()) is Decision.CONFIRM:
                self._on_barge_in()            # its words interrupt: answered below
            if self.barge is not None:
                self.barge.turn_ended()
            if self._over_speech:
                # Began over the avatar's voice and never became a barge-in: echo or a backchannel.
                self._over_speech = False
                self.events.record(EventKind.IGNORED_OVER_SPEECH, {
                    "transcript": payload.transcript, "speech_start_ms": int(round(payload.speech_start * 1000)),
                    "speech_end_ms": int(round(payload.speech_end * 1000))})
                self.voices.turn(*payload.heard_span, OVER_THE_AVATAR)
                self._drop_guess()
                _LOGGER.info("ignored %r heard over the avatar's voice", payload.transcript)
                return
            self._answer(payload)
        elif event is RunEvent.TURN_DISCARDED:
            self._not_answered(payload.speech_start, payload.speech_end, payload.reason)

    def _turn_ending(self, t: float) -> None:
        """A turn is over and its words are being decoded: to a new visitor, at an idle kiosk, the AI
        disclosure begins now (it opens any answer; the answer cache has it ready), and the answer
        follows it once decided. A turn that comes to nothing leaves the disclosure said, and the next
        answer says it again (the session has not begun). A speculated answer is dropped: the speech
        worker would hold the disclosure behind it, and the answer comes from the cache as fast."""
        if (self._over_speech or self._opening is not None or not self.session.expired(t)
                or not self.listener.recognizer.hearing or t < self.speech.busy_until() or self.speech.paused):
            return
        self._drop_guess()
        self._opening = self.speech.say(disclosure_text(self.responder.pack, self.lang), self.lang)

    def _speculate(self, spec: Speculation) -> None:
        if not spec.partial:
            self._drop_guess()
            return
        lang = heard_language(self.listener.recognizer, self.lang, self.session.listen_languages)
        answer = self.session.decide(spec.partial, spec.at, self.venue_now(), lang)
        if answer.kind != Kind.ANSWER or answer.lang not in self.speech.languages:
            self._drop_guess()
            return
        spoken = spoken_text(answer, self.responder.pack, disclosed=self.prepared is not None)
        if self._guess is not None and self._guess.utterance.text == spoken:
            return         # asked again with other words, the same answer: the one being made stays
        self._drop_guess()
        self.events.record(EventKind.SPECULATION, {"partial": spec.partial})
        self._guess = Guess(answer, self.speech.say(spoken, answer.lang, held=True), spec.at)
        if not self.realtime:
            # Fast mode stands for a pause that lasts as long as the synthesis takes.
            self._guess.utterance.first_ready.wait()

    def _drop_guess(self) -> None:
        if self._guess is not None:
            self.speech.drop(self._guess.utterance)
            self._guess = None

    def _answer(self, turn: TurnEnd) -> None:
        opening, self._opening = self._opening, None     # the disclosure begun as this turn ended
        if not turn.transcript and not self.listener.recognizer.hearing:
            self._cannot_hear(turn)
            return
        before, self._continues = self._continues, None
        continues = before is not None and bool(turn.transcript)
        if continues:
            turn = dataclasses.replace(turn, transcript=f"{before.transcript} {turn.transcript}".strip(),
                                       speech_start=before.speech_start)
        if not turn.transcript:
            _LOGGER.info("turn %.2f-%.2f s: nothing recognised", turn.speech_start, turn.speech_end)
            self._drop_guess()
            self._not_answered(*turn.heard_span, NOTHING_RECOGNISED)
            return
        heard = heard_language(self.listener.recognizer, self.lang, self.session.listen_languages)
        if heard != self.lang:               # spoken in the other language: answer (and listen) in it
            self._switch_language(heard)
        answer = self.session.decide(turn.transcript, turn.decided_at, self.venue_now(), self.lang)
        self.session.commit(answer, turn.decided_at, turn.transcript)
        answer, mood = self.mood.on_answer(turn, answer)
        notice = staff_notice(answer, mood)
        if notice is not None:
            self.avatar.view.show_notice(notice, self.source.now(), NOTICE_S)
        if answer.safety:
            self._safety_answered(turn, answer)
        if mood.call_staff:
            self.events.record(EventKind.STAFF_ALERT, self.mood.alert(turn, answer, mood, self.venue_now().isoformat()))
        if answer.listen_lang and answer.listen_lang != self.lang:
            self._switch_language(answer.listen_lang)
        ready_at = self.source.now()
        guess, self._guess = self._guess, None
        if opening is not None and (not answer.new_session or opening.lang != answer.lang):
            opening = None        # said for nothing (another language): the answer opens with its own
        spoken = spoken_text(answer, self.responder.pack, disclosed=opening is not None)
        if guess is not None and guess.utterance.text == spoken and guess.utterance.pace == mood.style.pace:
            self.speech.release(guess.utterance)
            utterance, speculative = guess.utterance, True
            self.events.record(EventKind.SPECULATION_USED, {"intent": answer.intent})
        else:
            if guess is not None:
                self.speech.drop(guess.utterance)
            utterance, speculative = self.speech.say(spoken, answer.lang, pace=mood.style.pace), False
        _LOGGER.info("heard %r -> %s %s (%.2f)%s", turn.transcript, answer.kind, answer.intent or "-",
                     answer.confidence, " [speculated]" if speculative else "")
        self._pending.append(PendingAnswer(turn, answer, ready_at, utterance, speculative, opening,
                                           continues))
        self.voices.turn(*turn.heard_span, ANSWERED)
        lead = len(spoken) - len(answer.text)     # the disclosure said first, if any
        self.avatar.add_cues(utterance, [(cue.name, (lead + cue.at_char) / max(1, len(spoken))) for cue in answer.cues])
        if not self.realtime:
            # As fast as possible, but in order: the answer's audio is placed on the
            # time line before more input is read, as it would be in real time.
            utterance.done.wait()

    def _cannot_hear(self, turn: TurnEnd) -> None:
        """Someone spoke while the recogniser is down (being rebuilt): say so, rather than nothing."""
        self._drop_guess()
        text = prompt("cannot_hear", self.lang, self.responder.pack.prompts)
        utterance = self.speech.say(text, self.lang)
        self.events.record(EventKind.UNHEARD_TURN, {"speech_start_ms": int(round(turn.speech_start * 1000)), "text": text})
        self.voices.turn(*turn.heard_span, RECOGNISER_DOWN)
        _LOGGER.warning("visitor spoke at %.2f s while the recogniser is down: %r", turn.speech_start, text)
        if not self.realtime:
            utterance.done.wait()

    def _safety_answered(self, turn: TurnEnd, answer) -> None:
        """The safety layer answered: logged, and a member of staff called."""
        _LOGGER.warning("safety: %s at %.2f s (%r, cue %r)%s", answer.safety, turn.speech_start, turn.transcript,
                        answer.safety_cue, ": calling staff" if answer.alert else "")
        if answer.alert:
            self.events.record(EventKind.STAFF_ALERT, safety_alert(turn, answer, self.venue_now().isoformat()))

    def _collect_finished(self, final: bool = False) -> None:
        records, self._pending = finished_answers(self._pending, self.source.now(), final, self.speech.viseme_keys)
        for record in records:
            self.events.record(EventKind.TURN, record)

    # -- barge-in
    def _measure(self, chunk: AudioChunk) -> AudioFrame:
        """The microphone chunk through the front end, with what the speaker played over it. While the
        avatar speaks (and FLOOR_HOLD_S after) the hall's floor is not learned: the echo canceller's
        suppressor empties the microphone then."""
        far = self.speech.far_audio(chunk.timestamp, chunk.seconds)
        played = self.speech.busy_until()
        echo_held = self.speech.paused or (played > 0 and chunk.timestamp < played + FLOOR_HOLD_S)
        return self.front_end.process(chunk, far, learn_floor=not echo_held, turn=self.listener.turn_state)

    def _not_answered(self, speech_start: float, speech_end: float, reason: str) -> None:
        self.events.record(EventKind.DISCARDED_TURN, discarded_turn(speech_start, speech_end, reason))
        self.voices.turn(speech_start, speech_end, reason)

    def _check_barge_in(self, frame: AudioFrame) -> None:
        if self.barge is None:
            return
        heard = (lambda: self.listener.recognizer.partial()) if self.listener.in_turn else (lambda: "")
        decision = self.barge.frame(frame, self.source.now(), heard, self.listener.turn_start())
        if decision is Decision.CONFIRM:
            self._on_barge_in()

    def _on_barge_in(self) -> None:
        self._drop_guess()
        self._over_speech = False          # this turn is the visitor's: answer it
        cut = [p for p in self._pending if p.utterance.cut_at is not None
               or (p.opening is not None and p.opening.cut_at is not None)]
        for p in cut:
            u = p.utterance
            if u.cut_at is None:                             # cut in the disclosure said before it
                self.session.heard_until("")
                continue
            lead = len(u.text) - len(p.answer.text)          # the disclosure, when it opened the session
            self.session.heard_until(p.answer.text[: max(0, int(len(u.text) * heard_fraction(u)) - lead)])
        event = {**self.barge.interruption, "cut_answers": len(cut)}
        self._continues = continued_turn(self._pending, event["onset_ms"] / 1000)
        if self._continues is not None:
            event["continuation"] = True
        self.events.record(EventKind.BARGE_IN, event)

    # -- visitors arriving and leaving
    def _on_surroundings(self, t: float) -> None:
        actions = self.panel.poll(t)
        self.view.set_fps(self.panel.fps)
        for action in actions:
            if action.kind is ActionKind.DEPARTED:
                _LOGGER.info("visitor left: conversation forgotten")
                self.session.end()
            elif action.kind is ActionKind.LOOK_AT:
                self.view.visitor_x = action.value
            elif action.kind in (ActionKind.GREET, ActionKind.ATTRACT) and self._idle(t):
                text = greeting_text(self.responder.pack, self.lang)
                self.speech.say(text, self.lang)
                self.events.record(EventKind.GREETING, {"t_ms": int(round(t * 1000)), "kind": action.kind.value,
                                                        "text": text})
                _LOGGER.info("%s: %s", action.kind.value, text)

    def _busy(self, t: float) -> bool:
        """A visitor has the kiosk: a turn open, an answer prepared or being spoken."""
        return (self.listener.in_turn or self._guess is not None or t < self.speech.busy_until()
                or self.speech.paused or any(not p.utterance.done.is_set() for p in self._pending))

    def _idle(self, t: float) -> bool:
        return (not self.listener.in_turn and not self._pending and self._guess is None
                and t >= self.speech.busy_until() and not self.speech.paused)

    def _animate_at(self, t: float) -> None:
        answers = [p.utterance for p in self._pending]
        self.avatar.animate(t, avatar_mode(t, self.listener.in_turn, answers, self.speech.busy_until()))

    def _finish(self) -> None:
        if self.barge is not None:
            self.barge.flush()
        for p in self._pending:
            p.utterance.done.wait()
        end = max(self.source.now(), self.speech.busy_until()) + TAIL_S
        t = self.source.now()
        step = 1.0 / 30.0
        while t < end:
            if self.realtime:
                time.sleep(step)
                t = min(end, self.source.now())
            else:
                t = min(end, t + step)
            self._animate_at(t)
            if self.stop_requested:
                _LOGGER.info("stopping: %s", self.stop_requested)
                break
            if self.view.display.quit_requested():
                break
        self._collect_finished(final=True)
