"""Listening in a noisy hall (issue 6): the crowd does not open turns, the visitor's own turn is not
learned as noise, and the recogniser hears the visitor's speech, not the second of murmur the kiosk
waits through before it answers."""

from __future__ import annotations

import numpy as np

from runtime.audio.chunk import AudioChunk
from runtime.listening.front_end import AudioFrontEnd
from runtime.listening.level_gate import LevelGate
from runtime.listening.listener import TAIL_S, Listener
from runtime.listening.quiet_end import QUIET_END_MAX_S
from runtime.listening.turn_state import NO_TURN, TurnPhase, TurnState
from runtime.listening.vad import EnergyVad
from runtime.turn_taking.endpointing import EndpointConfig, Endpointer
from runtime.turn_taking.events import RunEvent

FRAME = 0.032
SPEAKING, PAUSED = TurnState(TurnPhase.SPEAKING), TurnState(TurnPhase.PAUSED)


def _db(level_dbfs: float) -> float:
    return 10 ** (level_dbfs / 20)


def test_the_floor_is_where_the_hall_sits_and_a_crowds_peaks_rarely_clear_the_gate():
    gate, rng = LevelGate(), np.random.default_rng(1)
    murmur = rng.normal(-44, 3, 400)                 # a crowd: median -44, peaks ~ -36
    passed = [gate.gate(1.0, _db(level), FRAME) for level in murmur]
    assert -48.0 < gate.floor_db < -45.0             # its 20th percentile
    passed_after = [p > 0 for p in passed[100:]]
    assert sum(passed_after) <= 9                    # 300 frames of crowd: a few stray frames ...
    assert not any(all(passed_after[i:i + 4]) for i in range(len(passed_after) - 3))   # ... never a turn's onset
    assert gate.gate(1.0, _db(-34), FRAME) == 1.0    # a visitor at the kiosk, 10 dB over the crowd
    assert gate.near_talker([-34, -32, -37]) and not gate.near_talker([-41, -39, -43])
    # A turn is judged against the floor when it began, not one its own frames have since raised.
    quiet = LevelGate()
    for _ in range(40):
        quiet.gate(0.0, _db(-56), FRAME)
    assert quiet.near_talker([-41, -39, -43], floor_db=-54.0) and not quiet.near_talker([-41, -39, -43], floor_db=-48.0)


def test_a_crowd_that_opened_a_turn_opens_none_at_its_level_again():
    """A murmur whose peaks clear the floor's margin opens a turn now and then; once judged the crowd,
    its level is the crowd's: it opens no turn there again, nor holds a visitor's turn open."""
    gate = LevelGate()
    for _ in range(40):                               # the hall between the crowd's syllables
        gate.gate(0.1, _db(-50), FRAME)
    assert gate.gate(1.0, _db(-40), FRAME) == 1.0     # a crowd's peak 10 dB over it opens a turn ...
    assert not gate.near_talker([-45, -44, -40, -46, -44])   # ... judged the crowd (not 10 dB over the floor)
    assert gate.gate(1.0, _db(-40), FRAME) == 0.0     # ... and at its level it opens none again
    assert gate.gate(1.0, _db(-30), FRAME) == 1.0     # a visitor at the kiosk still does
    visitor = TurnState(TurnPhase.SPEAKING, -28.0)
    assert gate.gate(1.0, _db(-41), FRAME, turn=visitor) == 0.0   # the crowd does not hold their turn open
    assert gate.gate(1.0, _db(-36), FRAME, turn=visitor) == 1.0   # their quieter last word does


def test_a_visitor_talking_from_the_first_frame_is_heard_not_learned_as_the_floor():
    """At start-up (or after a restart) the gate has heard no hall yet: a visitor already talking is
    speech, and within their turn only the gaps between words teach it the floor."""
    gate = LevelGate()
    speech = [-24, -26, -23, -30, -25, -27, -24, -31, -26, -24] * 6   # 2 s of a voice from frame one
    passed = [gate.gate(0.9, _db(level), FRAME, turn=SPEAKING if i > 3 else NO_TURN) for i, level in enumerate(speech)]
    assert all(p > 0 for p in passed)
    for _ in range(20):                               # a gap between phrases: the room, -60 dBFS
        gate.gate(0.1, _db(-60), FRAME, turn=SPEAKING)
    assert gate.floor_db is not None and gate.floor_db < -50
    assert gate.gate(0.9, _db(-40), FRAME, turn=SPEAKING) == 0.9   # a quiet sentence end is still heard


def test_the_floor_is_held_while_the_avatar_speaks_and_learned_slowly_in_a_turn():
    gate = LevelGate()
    for _ in range(200):
        gate.gate(1.0, _db(-45), FRAME)
    for _ in range(100):                              # the echo canceller empties the microphone
        gate.gate(0.0, _db(-90), FRAME, learn=False)
    assert abs(gate.floor_db + 45) < 0.5
    for _ in range(100):                              # a visitor talking for 3 s
        gate.gate(1.0, _db(-24), FRAME, turn=SPEAKING)
    assert gate.floor_db < -42 and gate.gate(1.0, _db(-24), FRAME, turn=SPEAKING) == 1.0


class _Ears:
    """A recogniser that remembers which audio it was given."""
    name, language = "ears", "en"
    weighs_speech = False

    def __init__(self):
        self.heard: list[tuple[float, float]] = []

    def start(self):
        self.heard = []

    def accept(self, chunk):
        self.heard.append((chunk.timestamp, chunk.end))

    def partial(self):
        return ""

    def partial_words(self):
        return []

    def finish(self):
        return "words"

    def ready_ago(self):
        return 0.0


def _chunks(pattern):
    """[(seconds, level)] -> 32 ms chunks of tone at that level (0 = quiet hall at -60 dBFS)."""
    t, out = 0.0, []
    for seconds, level in pattern:
        for _ in range(int(round(seconds / FRAME))):
            n = 512
            x = np.sin(2 * np.pi * 220 * (np.arange(n) / 16000)) * (level or _db(-60))
            out.append(AudioChunk.from_float(x.astype(np.float32), 16000, t))
            t += FRAME
    return out


def test_the_recogniser_hears_the_speech_and_its_gaps_but_not_the_final_silence():
    ears = _Ears()
    front_end = AudioFrontEnd(EnergyVad(threshold=0.05))
    listener = Listener(ears, Endpointer(EndpointConfig(end_silence_s=1.0)))
    events = []
    for chunk in _chunks([(0.64, 0), (0.64, 0.3), (0.45, 0), (0.64, 0.3), (1.5, 0)]):
        events += listener.process(front_end.process(chunk, turn=listener.turn_state), lambda: chunk.end)
    ended = [p for e, p in events if e is RunEvent.TURN_ENDED]
    assert len(ended) == 1 and ended[0].transcript == "words"
    heard_until = max(end for _, end in ears.heard)
    assert abs(heard_until - (ended[0].speech_end + TAIL_S)) <= 0.05      # not the second it waited
    covered = sum(end - start for start, end in ears.heard)
    assert covered >= 0.64 + 0.45 + 0.64 - 0.1                             # both words and the gap


class _FlickeringEars(_Ears):
    """A recogniser whose partial flickers in a pause, as pocketsphinx did weighing the venue's
    "food court": "i am looking for" / "i am looking food" on alternate asks."""

    def __init__(self):
        super().__init__()
        self.asks = 0

    def partial_words(self):
        from runtime.asr.base import TimedWord
        self.asks += 1
        return [TimedWord(w) for w in ("i am looking " + ("food" if self.asks % 2 else "for")).split()]


def test_a_flickering_partial_does_not_end_the_turn_in_a_thinking_pause():
    ears = _FlickeringEars()
    front_end = AudioFrontEnd(EnergyVad(threshold=0.05))
    listener = Listener(ears, Endpointer(EndpointConfig()), is_complete=lambda text: text.endswith("food"))
    events = []
    for chunk in _chunks([(0.64, 0), (1.0, 0.3), (0.6, 0), (0.64, 0.3), (2.0, 0)]):   # a 0.6 s pause
        events += listener.process(front_end.process(chunk, turn=listener.turn_state), lambda: chunk.end)
    ended = [p for e, p in events if e is RunEvent.TURN_ENDED]
    assert len(ended) == 1 and ended[0].speech_end > 2.8, [(p.speech_end, p.end_hint) for p in ended]
    assert ears.asks >= 3                          # it did ask, and heard "food" more than once


def test_a_crowd_talking_from_the_first_frame_is_learned_as_the_hall():
    """A voiced crowd from frame one opens a turn before the gate has heard the hall: within that turn
    one speech frame in four still teaches it the floor (after 4 s: longer than a visitor talks without
    a gap between words), so the crowd's turn closes and the next
    crowd frames are gated; resuming after a pause takes the opening margin, so murmur cannot hold a
    pause open."""
    gate, rng = LevelGate(), np.random.default_rng(2)
    murmur = rng.normal(-44, 3, 400)
    passed = [gate.gate(0.9, _db(level), FRAME, turn=SPEAKING if i > 3 else NO_TURN) for i, level in enumerate(murmur[:140])]
    assert all(p > 0 for p in passed[:120])          # nothing gated before it has heard the hall
    assert gate.floor_db is not None and -50 < gate.floor_db < -44
    in_pause = [gate.gate(0.9, _db(level), FRAME, turn=PAUSED) for level in murmur[140:]]
    assert sum(p > 0 for p in in_pause) <= 15        # stray crowd peaks, not a resumed voice
    assert gate.gate(0.9, _db(-30), FRAME, turn=PAUSED) == 0.9   # the visitor goes on
    speaking = [gate.gate(0.9, _db(level), FRAME, turn=SPEAKING) for level in (-30, -34, -38, -37)]
    assert all(p > 0 for p in speaking)              # a sentence's falling end holds at 4 dB


def test_a_pause_resumes_only_near_the_visitors_own_voice():
    """A visitor at -20 dBFS over a murmur at -44: the murmur's peaks clear the floor's opening margin now
    and then, but a pause resumes only within 12 dB of the turn's own speech level, so the crowd cannot
    keep the visitor's turn open."""
    gate, rng = LevelGate(), np.random.default_rng(3)
    for level in rng.normal(-44, 3, 300):
        gate.gate(0.9, _db(level), FRAME)
    assert gate.gate(0.9, _db(-33), FRAME, turn=PAUSED) == 0.9              # no turn level known
    assert gate.gate(0.9, _db(-33), FRAME, turn=TurnState(TurnPhase.PAUSED, -20)) == 0.0
    assert gate.gate(0.9, _db(-26), FRAME, turn=TurnState(TurnPhase.PAUSED, -20)) == 0.9
    assert gate.gate(0.9, _db(-33), FRAME, turn=TurnState(TurnPhase.SPEAKING, -20)) == 0.9          # still speaking: held


class _LateWords(_Ears):
    """Whisper's way: no words until its first decode of the pause is done (here: from the third ask)."""

    def __init__(self):
        super().__init__()
        self.asks = 0

    def partial(self):
        return " ".join(w.word for w in self._words())

    def partial_words(self):
        self.asks += 1
        return self._words()

    def _words(self):
        from runtime.asr.base import TimedWord
        return [TimedWord(w) for w in "where is the cinema".split()] if self.asks >= 3 else []


def test_the_answer_is_speculated_again_once_the_words_arrive_in_the_pause():
    """The first speculation comes 30 ms into the pause, before any decode: asked with no words. The
    first time the words change in that pause it is asked again with them, once."""
    ears = _LateWords()
    front_end = AudioFrontEnd(EnergyVad(threshold=0.05))
    listener = Listener(ears, Endpointer(EndpointConfig(end_silence_s=1.0)))
    events = []
    for chunk in _chunks([(0.64, 0), (1.0, 0.3), (1.6, 0)]):
        events += listener.process(front_end.process(chunk, turn=listener.turn_state), lambda: chunk.end)
    guesses = [p.partial for e, p in events if e is RunEvent.SPECULATION_STARTED]
    assert guesses == ["", "where is the cinema"], guesses
    ended = [p for e, p in events if e is RunEvent.TURN_ENDED]
    assert len(ended) == 1 and ears.asks >= 4          # asked on, but speculated only once more


def _listen(pattern, ears):
    front_end = AudioFrontEnd(EnergyVad(threshold=0.0009), LevelGate())   # the hall (-60 dBFS) is not voiced
    listener = Listener(ears, Endpointer(EndpointConfig(end_silence_s=1.0)))
    events = []
    for chunk in _chunks(pattern):
        events += listener.process(front_end.process(chunk, turn=listener.turn_state), lambda: chunk.end)
    return [p for e, p in events if e is RunEvent.TURN_ENDED]


QUIET = _db(-57)   # a voice to the VAD, but under the level gate's -55 dBFS: a falling sentence end


class _WeighingEars(_Ears):
    """Whisper-like: it judges its own evidence of speech, so it may hear a quiet edge of the hall."""
    weighs_speech = True

    def speech_evidence(self):
        return None


def test_a_quiet_sentence_end_the_vad_still_hears_is_given_to_the_recogniser():
    """Real voices fall in level at a sentence's end: the level gate ends the speech there, but the
    VAD still hears a voice, so Whisper hears it too (and the turn accounts for it)."""
    ears = _WeighingEars()
    ended = _listen([(0.64, 0), (0.96, 0.3), (0.64, QUIET), (1.5, 0)], ears)
    assert len(ended) == 1 and abs(ended[0].speech_end - 1.6) < 0.05      # the gate ended the speech ...
    heard_until = max(end for _, end in ears.heard)
    assert heard_until >= 2.24 - 0.05                                      # ... the recogniser heard the quiet end
    assert heard_until <= ended[0].speech_end + QUIET_END_MAX_S + 0.05     # and no more than the cap
    assert ended[0].heard_span[1] == heard_until


def test_a_recogniser_that_does_not_judge_speech_hears_only_the_pauses_start():
    """pocketsphinx finds words in any murmur it is given: it hears TAIL_S of the pause, as before."""
    ears = _Ears()
    ended = _listen([(0.64, 0), (0.96, 0.3), (0.64, QUIET), (1.5, 0)], ears)
    assert abs(max(end for _, end in ears.heard) - (ended[0].speech_end + TAIL_S)) <= 0.05
    assert min(start for start, _ in _listen_starts([(0.64, 0), (0.8, QUIET), (0.96, 0.3), (1.5, 0)])) >= 1.44 - 0.55


def _listen_starts(pattern):
    ears = _Ears()
    _listen(pattern, ears)
    return ears.heard


def test_a_quiet_first_word_before_the_onset_is_given_to_the_recogniser():
    ears = _WeighingEars()
    ended = _listen([(0.64, 0), (0.8, QUIET), (0.96, 0.3), (1.5, 0)], ears)
    assert len(ended) == 1 and abs(ended[0].speech_start - 1.44) < 0.05
    heard_from = min(start for start, _ in ears.heard)
    assert heard_from <= 0.64 + 0.05                                       # the whole quiet start
    assert ended[0].heard_span[0] == heard_from
