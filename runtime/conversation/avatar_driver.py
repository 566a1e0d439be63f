"""The avatar's side of the conversation: which mode it is in, and the cues in answers played when
their words are heard."""

from __future__ import annotations

from collections.abc import Iterable

from runtime.avatar.rig_animator import AvatarMode
from runtime.display.avatar_view import AvatarView
from runtime.speaking.speech_output import SpeechOutput, Utterance


def avatar_mode(t: float, listening: bool, answers: Iterable[Utterance], busy_until: float) -> AvatarMode:
    """Listening while a turn is open; thinking while an answer is decided but not yet heard;
    speaking while audio plays; idle otherwise (pure)."""
    if listening:
        return AvatarMode.LISTENING
    if any(u.heard_from is None or u.heard_from > t for u in answers if not u.error):
        return AvatarMode.THINKING
    if t < busy_until:
        return AvatarMode.SPEAKING
    return AvatarMode.IDLE


class AvatarDriver:
    def __init__(self, view: AvatarView, speech: SpeechOutput):
        self.view = view
        self.speech = speech
        self._cues: list[tuple[Utterance, str, float]] = []   # (utterance, cue, where in it 0..1)

    def add_cues(self, utterance: Utterance, cues: Iterable[tuple[str, float]]) -> None:
        """`cues`: (name, where in the utterance's audio 0..1)."""
        self._cues += [(utterance, name, where) for name, where in cues]

    def animate(self, t: float, mode: AvatarMode) -> None:
        self._play_cues(t)
        self.view.advance(t, mode, self.speech.viseme_at)

    def _play_cues(self, t: float) -> None:
        """Expression and motion cues play when the words they stand before are heard."""
        waiting = []
        for utterance, cue, where in self._cues:
            if utterance.error or (utterance.done.is_set() and utterance.heard_from is None):
                continue
            start = utterance.heard_from
            if start is not None and t >= start + where * utterance.audio_seconds:
                self.view.cue(cue)
            else:
                waiting.append((utterance, cue, where))
        self._cues = waiting
