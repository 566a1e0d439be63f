"""Was a turn a visitor talking to the kiosk, or the hall (the crowd, a far talker)? Pure.

Three witnesses, asked in order of cost:

1. **Level** (the level gate's judgement, `LevelGate.judge_level`): a visitor at the kiosk is close
   to its microphone, the crowd is not, so a turn whose speech stands well over the hall's floor
   and its voices is a visitor. Enough on its own in a quiet hall or in babble; not in steady noise
   at 10 dB SNR, where a visitor's frames stand only 7-8 dB over the floor (the judge asks 10) and
   are taken for the crowd.
2. **The VAD's own probability** (Silero's, before the level gate zeroes anything) over the turn's
   speech frames: a voice close to the microphone is speech to the VAD frame after frame, a far
   murmur only now and then. A turn the level judged the crowd is given a hearing only when the
   VAD is sure of it (`vad_min`).
3. **The recogniser's** evidence on the decoded turn (Whisper: its no-speech probability and the
   average log-probability of its words): babble, music and traffic give Whisper high no-speech
   probabilities and unsure words; a visitor's question, clear words. Such a turn is kept when the
   recogniser is confident it heard clear speech, and dropped with that reason otherwise.

Mid-turn (`JUDGE_AFTER_S` into it, before anything is decoded) the verdict is VISITOR, CROWD, or
UNDECIDED: level says crowd, but the VAD is sure and the recogniser can weigh speech, so the turn
goes on and is judged at its end. A turn left undecided longer than `max_undecided_s` is the
crowd (a murmur that never pauses must not hold the kiosk). Only a recogniser that gives evidence
(`Recognizer.weighs_speech`) can rescue a turn: with pocketsphinx the level's verdict stands.

The thresholds are not fitted to the noisy recordings the kiosk is measured on: they sit between
what Whisper base says of the real clean speech sets and of the noise recordings (and the
turn-taking bench's synthetic crowd) played alone — docs/listening.md has the figures.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runtime.asr.base import SpeechEvidence
from runtime.turn_taking.events import CROWD as CROWD_LEVEL

CROWD_UNCLEAR = ("crowd or far talker (its speech not loud enough over the hall, and the recogniser "
                 "heard no clear speech in it)")


class Verdict(enum.Enum):
    VISITOR = "visitor"
    CROWD = "crowd"
    UNDECIDED = "undecided"   # mid-turn only: decode it and judge it at its end


@dataclass(frozen=True)
class TurnEvidence:
    level_near: bool                    # the level gate's judgement
    vad_prob: float | None              # the median ungated VAD probability of the turn's speech frames
    weighs_speech: bool                 # the recogniser will give evidence once the turn is decoded
    speech: SpeechEvidence | None = None   # its evidence on the decoded turn (None: not decoded yet)
    turn_s: float = 0.0                 # seconds since the turn's speech began
    ended: bool = False                 # the turn is over and was decoded (no evidence now: none will come)


@dataclass(frozen=True)
class JudgeConfig:
    # Whisper base, measured on the dev side only (2026-12-06): the 19 clean real English files: no-speech
    # <= 0.14, log-prob >= -0.26; 1.5-4 s pieces of each noise recording alone: no-speech 0.60-0.90; the
    # turn-taking bench's synthetic crowd: 0.39-0.56, log-prob <= -0.73. Each limit is the midpoint.
    # Mandarin (docs/listening.md): speech <= 0.37, the noise recordings 0.73-0.93 with its prompt.
    vad_min: float = 0.8                # Silero "sure" (not fitted): the median probability of the turn's speech
    no_speech_max: dict = field(default_factory=lambda: {"en": 0.27, "zh": 0.55})
    logprob_min: float = -0.5           # the average log-probability of the decoded words
    # Words as likely as clean real speech's (>= -0.26) are kept up to a higher no-speech figure, as
    # Whisper's own guard keeps likely words (`whisper_decoder.heard_speech`: no noise recording alone
    # decodes under 0.6 and over -0.5 both): a visitor over steady street or station noise gives
    # Whisper no-speech 0.28-0.36 with log-probability -0.06 to -0.11 (the tuning set, bench/speech_tune).
    sure_logprob: float = -0.3
    sure_no_speech_max: float = 0.6
    max_undecided_s: float = 15.0       # longer than a visitor speaks without an end-of-turn pause

    def no_speech_limit(self, language: str) -> float:
        return self.no_speech_max.get(language, min(self.no_speech_max.values()))


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str            # why (for the log; for CROWD, the report's reason)
    detail: str = ""       # the evidence, for the log


def judge_turn(e: TurnEvidence, cfg: JudgeConfig = JudgeConfig()) -> Judgement:
    """The verdict on a turn from what is known of it so far (see the module's docstring)."""
    if e.level_near:
        return Judgement(Verdict.VISITOR, "loud enough over the hall")
    if not e.weighs_speech:
        return Judgement(Verdict.CROWD, CROWD_LEVEL)
    if e.vad_prob is None or e.vad_prob < cfg.vad_min:
        return Judgement(Verdict.CROWD, CROWD_LEVEL, "" if e.vad_prob is None else f"VAD {e.vad_prob:.2f}")
    if e.speech is None and e.ended:
        return Judgement(Verdict.CROWD, CROWD_LEVEL, "the recogniser gave no evidence (no decode in time)")
    if e.speech is None:
        if e.turn_s > cfg.max_undecided_s:
            return Judgement(Verdict.CROWD, CROWD_LEVEL, f"undecided for {e.turn_s:.1f} s")
        return Judgement(Verdict.UNDECIDED, f"not loud enough over the hall, but the VAD is sure "
                                            f"({e.vad_prob:.2f}): decoded before it is judged")
    s = e.speech
    sure = s.avg_logprob >= cfg.sure_logprob and s.no_speech_prob < cfg.sure_no_speech_max
    clear = (s.words > 0 and s.avg_logprob >= cfg.logprob_min
             and (s.no_speech_prob <= cfg.no_speech_limit(s.language) or sure))
    detail = f"VAD {e.vad_prob:.2f}, no-speech {s.no_speech_prob:.2f}, log-prob {s.avg_logprob:.2f}, {s.words} words"
    if clear:
        return Judgement(Verdict.VISITOR, "quiet over the hall, but clear speech to the VAD and the recogniser", detail)
    return Judgement(Verdict.CROWD, CROWD_UNCLEAR, detail)
