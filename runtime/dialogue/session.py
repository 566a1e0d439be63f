"""A visitor's conversation: language, clarifying questions, "say that again", follow-ups, time.

Pure: `decide(text, t, now)` works out the reply without changing anything (the
kiosk may decide on a partial transcript while the visitor pauses and throw it
away); `commit(reply, t)` makes it part of the conversation. `t` is the kiosk's
monotonic time in seconds, `now` the venue-local wall time (for opening hours).
A session ends after `idle_s` without a turn, or when the kiosk calls `end()`
(the visitor walked away); the next visitor starts afresh and hears the disclosure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace

from runtime.safety.detector import answer_moves_money
from runtime.safety.guard import CueDetector, SafetyDetector
from runtime.safety.kinds import SafetyCall, SafetyKind
from runtime.safety.wording import safety_answer

from .answer_text import Cue, fill, split_cues
from .content_pack import ContentPack, Intent
from .matcher import IntentMatcher, Match
from .prompts import LANGUAGE_NAMES, prompt
from .text_features import detect_language
from .visitor_commands import chosen_option, wants_language, wants_repeat

SESSION_IDLE_S = 60.0
CLARIFY_MARGIN = 0.06   # two intents closer than this (both above threshold): ask which one
PICK_LEAD = 0.02        # after a clarifying question: the cosine lead that picks one option by meaning
CONTEXT_WINDOW_S = 45.0  # a follow-up leans on the last topic only this long after it


class Kind:
    ANSWER = "answer"
    FOLLOWUP = "followup"
    FALLBACK = "fallback"
    CLARIFY = "clarify"
    REPEAT = "repeat"
    LANGUAGE = "language"
    SAFETY = "safety"        # the built-in safety layer answered (no pack can remove it)


@dataclass(frozen=True)
class Reply:
    kind: str
    text: str                 # what is spoken (cues stripped, placeholders filled)
    lang: str
    intent: str | None        # the approved answer's intent (or follow-up) id; None for the kiosk's own lines
    confidence: float
    pack: str
    pack_digest: str
    cues: tuple[Cue, ...] = ()
    variant: int = 0
    options: tuple[str, ...] = ()   # CLARIFY: the two intents offered
    new_session: bool = False       # the first reply to a new visitor: the disclosure goes first
    listen_lang: str | None = None  # LANGUAGE: recognise this language from now on
    safety: str | None = None       # SAFETY: the kind (emergency, lost_child, scam, personal_data)
    safety_cue: str = ""            # SAFETY: the words that decided it
    alert: bool = False             # SAFETY: a member of staff is called
    mood: str | None = None         # the visitor's mood this turn (runtime/mood), set by the kiosk


    def as_json(self) -> dict:
        out = {"kind": self.kind, "intent": self.intent, "answer": self.text, "confidence": self.confidence,
               "lang": self.lang, "answer_id": self.answer_id, "cues": [c.name for c in self.cues]}
        if self.safety:
            out.update(safety=self.safety, safety_cue=self.safety_cue, alert=self.alert)
        return out

    @property
    def answer_id(self) -> str:
        """Traceable to the exact pack: venue/intent[#variant]@sha256-prefix."""
        variant = f"#{self.variant + 1}" if self.variant else ""
        what = f"safety.{self.safety}" if self.safety else (self.intent or self.kind)
        return f"{self.pack}/{what}{variant}@{self.pack_digest[:12]}"


@dataclass
class _State:
    started: bool = False
    last_t: float | None = None
    lang: str | None = None            # chosen by the visitor ("English please")
    last: Reply | None = None          # the last reply spoken (for "say that again")
    said: str | None = None            # what of it was actually heard, if cut short
    topic: str | None = None           # the last venue intent answered
    topic_t: float = 0.0
    topic_text: str = ""               # the question that led to it
    options: tuple[str, ...] = ()      # pending clarification
    asked: dict[str, int] = field(default_factory=dict)  # answers per intent (variant rotation)


class DialogueSession:
    def __init__(self, pack: ContentPack, matcher: IntentMatcher | None = None,
                 listen_languages: tuple[str, ...] | None = None, idle_s: float = SESSION_IDLE_S,
                 safety: SafetyDetector | None = None):
        self.pack = pack
        self.safety = safety or CueDetector()   # the built-in safety layer's detector (chosen at start-up)
        self.matcher = matcher or IntentMatcher(pack)
        self.listen_languages = tuple(listen_languages or pack.languages)
        self.idle_s = idle_s
        self._state = _State()
        self._followups = {i.id: _followup_matcher(pack, i) for i in pack.intents if i.followups}

    # -- lifecycle
    def end(self) -> None:
        """The visitor left: forget everything about them."""
        self._state = _State()

    @property
    def language(self) -> str | None:
        return self._state.lang

    def heard_until(self, text: str) -> None:
        """The last reply was cut off (barge-in): only `text` of it was heard. "Say that again" still
        repeats the whole answer; what was heard is kept for the log."""
        self._state.said = text

    @property
    def said(self) -> str | None:
        """What the visitor heard of the last reply, if it was cut off."""
        return self._state.said

    def expired(self, t: float) -> bool:
        """True when no visitor is in conversation at `t` (none yet, gone quiet, or left)."""
        return self._expired(t)

    def _expired(self, t: float) -> bool:
        s = self._state
        return not s.started or s.last_t is None or t - s.last_t > self.idle_s

    # -- deciding
    def decide(self, text: str, t: float, now: dt.datetime, lang: str | None = None) -> Reply:
        state = self._state if not self._expired(t) else _State()
        new = not state.started or self._expired(t)
        reply = self._decide(state, text, t, now, lang)
        if reply.kind in (Kind.ANSWER, Kind.FOLLOWUP) and answer_moves_money(reply.text) and self.safety.scam_hint(text):
            # The fraud guard: money-moving steps are never given to a turn that reads as a scam story.
            reply = self._safety(SafetyCall(SafetyKind.SCAM, f"fraud guard: {reply.intent}"), reply.lang)
        return replace(reply, new_session=new)

    def commit(self, reply: Reply, t: float, question: str = "") -> None:
        if self._expired(t):
            self._state = _State()
        s = self._state
        s.started, s.last_t = True, t
        if reply.kind == Kind.LANGUAGE and reply.listen_lang:
            s.lang = reply.listen_lang
        if reply.kind != Kind.REPEAT:
            s.last, s.said = reply, None
        s.options = reply.options if reply.kind == Kind.CLARIFY else ()
        if reply.kind in (Kind.ANSWER, Kind.FOLLOWUP) and reply.intent:
            topic = reply.intent.split(".followup")[0] if reply.kind == Kind.FOLLOWUP else reply.intent
            if reply.kind == Kind.ANSWER:
                s.topic_text = question
            s.topic, s.topic_t = topic, t
            s.asked[reply.intent] = s.asked.get(reply.intent, 0) + 1

    def reply(self, text: str, t: float, now: dt.datetime, lang: str | None = None) -> Reply:
        reply = self.decide(text, t, now, lang)
        self.commit(reply, t, text)
        return reply

    def _decide(self, s: _State, text: str, t: float, now: dt.datetime, lang: str | None) -> Reply:
        heard_lang = lang if lang in self.pack.languages else self._detect(text)
        answer_lang = s.lang or heard_lang
        call = self.safety.call(text)
        if call is not None:
            return self._safety(call, answer_lang)
        asked_for = wants_language(text)
        if asked_for is not None:
            return self._switch(asked_for, answer_lang)
        if wants_repeat(text):
            return self._repeat(s, answer_lang)
        if s.options:
            picked = self._pick_option(s.options, text, heard_lang)
            if picked is not None:
                return self._answer(s, picked, 1.0, answer_lang, now)
        if s.topic and t - s.topic_t <= CONTEXT_WINDOW_S and s.topic in self._followups:
            followup = self._followups[s.topic].match(text, heard_lang)
            main = self.matcher.match(text, heard_lang)
            if followup.intent_id is not None and followup.confidence >= main.confidence:
                return self._followup(s, s.topic, followup, answer_lang, now)
        match = self.matcher.match(text, heard_lang)
        if (match.intent_id is None and s.topic and t - s.topic_t <= CONTEXT_WINDOW_S and s.topic_text
                and self.matcher.knows_every_word(text, heard_lang)):
            # "and where is it?" right after the pharmacy: read it with the last question
            # (only when every word is one the pack uses: "tell me a joke" is not about the pharmacy).
            leaning = self.matcher.match(f"{s.topic_text} {text}", heard_lang)
            if leaning.intent_id is not None and match.confidence > 0:
                match = replace(leaning, confidence=min(leaning.confidence, 0.99))
        if match.intent_id is None:
            return self._own_line(Kind.FALLBACK, self.pack.fallback[answer_lang], answer_lang, match.confidence)
        threshold = self.matcher.thresholds.get(heard_lang, 0.5)
        if match.close_call or (match.runner_up and match.runner_up_confidence >= threshold
                                and match.confidence - match.runner_up_confidence < CLARIFY_MARGIN):
            return self._clarify(match, answer_lang)
        return self._answer(s, match.intent_id, match.confidence, answer_lang, now)

    def _detect(self, text: str) -> str:
        lang = detect_language(text)
        return lang if lang in self.pack.languages else self.pack.default_language

    # -- the kinds of reply
    def _answer(self, s: _State, intent_id: str, confidence: float, lang: str, now: dt.datetime) -> Reply:
        intent = self.pack.intent(intent_id)
        options = self._wording(intent, lang, now)
        variant = s.asked.get(intent_id, 0) % len(options)
        spoken, cues = split_cues(fill(options[variant], lang, self.pack.schedule, now))
        return Reply(Kind.ANSWER, spoken, lang, intent_id, confidence, self.pack.venue_id, self.pack.digest,
                     cues, variant)

    def _followup(self, s: _State, topic: str, match: Match, lang: str, now: dt.datetime) -> Reply:
        fu = next(f for f in self.pack.intent(topic).followups if f.id == match.intent_id)
        options = fu.variants.get(lang) or next(iter(fu.variants.values()))
        variant = s.asked.get(fu.id, 0) % len(options)
        spoken, cues = split_cues(fill(options[variant], lang, self.pack.schedule, now))
        return Reply(Kind.FOLLOWUP, spoken, lang, fu.id, match.confidence, self.pack.venue_id,
                     self.pack.digest, cues, variant)

    def _wording(self, intent: Intent, lang: str, now: dt.datetime) -> tuple[str, ...]:
        schedule = self.pack.schedule
        if schedule is not None:
            if "closed" in intent.when and not schedule.state(now).open:
                return intent.when["closed"][lang]
            if "no_events" in intent.when and not schedule.events_on(now.date()):
                return intent.when["no_events"][lang]
        return intent.answer_variants(lang)

    def _clarify(self, match: Match, lang: str) -> Reply:
        a, b = match.intent_id, match.runner_up
        text = prompt("clarify", lang, self.pack.prompts, a=self._title(a, lang), b=self._title(b, lang))
        return replace(self._own_line(Kind.CLARIFY, text, lang, match.confidence), options=(a, b))

    def _title(self, intent_id: str, lang: str) -> str:
        intent = self.pack.intent(intent_id)
        if lang in intent.title:
            return intent.title[lang]
        question = intent.questions.get(lang, (intent_id.replace("_", " "),))[0]
        return f"“{question}”" if lang == "zh" else f'"{question}"'

    def _pick_option(self, options: tuple[str, ...], text: str, lang: str) -> str | None:
        index = chosen_option(text)
        if index is not None and index < len(options):
            return options[index]
        ranked = [(i, s) for i, s in self.matcher.ranked(text, lang) if i in options]
        if ranked and ranked[0][1] > 0.15 and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] > 0.02):
            return ranked[0][0]
        semantic = self.matcher.semantic   # "the exhibition" after "the exhibition, or the tickets?"
        scores = semantic.scores(text) if semantic is not None else None
        if scores is not None:
            by_option = sorted(((scores.by_intent[semantic.intents.index(o)], o) for o in options
                                if o in semantic.intents), reverse=True)
            if len(by_option) >= 2 and by_option[0][0] - by_option[1][0] > PICK_LEAD:
                return by_option[0][1]
        return None

    def _repeat(self, s: _State, lang: str) -> Reply:
        if s.last is None:
            return self._own_line(Kind.REPEAT, prompt("repeat_nothing", lang, self.pack.prompts), lang, 1.0)
        return replace(s.last, kind=Kind.REPEAT, options=())

    def _switch(self, wanted: str, current: str) -> Reply:
        if wanted not in self.pack.languages or wanted not in self.listen_languages:
            name = LANGUAGE_NAMES.get(wanted, {}).get(current, wanted)
            return self._own_line(Kind.LANGUAGE, prompt("language_unavailable", current, self.pack.prompts,
                                                        language=name), current, 1.0)
        reply = self._own_line(Kind.LANGUAGE, prompt("language_switched", wanted, self.pack.prompts), wanted, 1.0)
        return replace(reply, listen_lang=wanted)

    def _safety(self, call: SafetyCall, lang: str) -> Reply:
        text = safety_answer(call.kind, lang, self.pack.safety)
        return replace(self._own_line(Kind.SAFETY, text, lang, 1.0), safety=call.kind.value, safety_cue=call.cue,
                       alert=call.kind.alerts_staff)

    def _own_line(self, kind: str, text: str, lang: str, confidence: float) -> Reply:
        spoken, cues = split_cues(text)
        return Reply(kind, spoken, lang, None, confidence, self.pack.venue_id, self.pack.digest, cues)


def _followup_matcher(pack: ContentPack, intent: Intent) -> IntentMatcher:
    """A matcher over one intent's follow-up questions only."""
    pseudo = tuple(Intent(f.id, f.questions, {k: v[0] for k, v in f.variants.items()}, f.variants)
                   for f in intent.followups)
    return IntentMatcher(replace(pack, intents=pseudo, digest=hashlib.sha256(intent.id.encode()).hexdigest()))
