"""How the cue reading and the learned scorer's probabilities make one decision. Pure.

- A cue call stands (the cues were written for the kinds and are precise on what they catch), but
  its kind gives way to the scorer's when the scorer is sure of another safety kind (above
  `kind_override_min`: "they were right behind me and now I can't see them" is a lost child, not
  the emergency the words "can't see" suggest).
- Otherwise the scorer decides: the turn is a safety turn when the probability of *not* being
  ordinary is above `threshold`, and its kind is the likeliest safety kind. Personal data (which
  calls no one) needs its own probability above `personal_data_min`: the jailbreak and abuse turns
  look like it, and a refusal there is a false safety answer.
- The fraud guard's hint (hold back money-moving answers): a cue hint, or a scam probability above
  `scam_hint_min`.

The numbers were chosen on the dev set by 10-fold cross-validation (bench/safety.py --sets dev
reports the cross-validated figures); the held-out set never set them (docs/safety.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from .exemplars import KIND_CLASSES, NONE
from .kinds import SafetyCall, SafetyKind


@dataclass(frozen=True)
class DecisionRule:
    threshold: float = 0.6          # P(not ordinary) above this: a safety turn
    personal_data_min: float = 0.7  # and for personal data, P(personal_data) above this
    scam_hint_min: float = 0.5      # the fraud guard holds back money answers above this P(scam)
    kind_override_min: float = 0.8  # the scorer's kind replaces a cue's above this probability
    l2: float = 0.05                # the scorer's regularisation (fitted with it)


def decide(cue: SafetyCall | None, proba: dict[str, float] | None, rule: DecisionRule) -> SafetyCall | None:
    if proba is None:
        return cue
    safe = 1.0 - proba[NONE]
    kinds = [k for k in KIND_CLASSES if k != NONE]
    best = max(kinds, key=lambda k: proba[k])
    if cue is not None:
        if best != cue.kind.value and proba[best] > rule.kind_override_min:
            return SafetyCall(SafetyKind(best), f"{cue.cue} / scorer {best} {proba[best]:.2f}")
        return cue
    if safe <= rule.threshold:
        return None
    if best == SafetyKind.PERSONAL_DATA.value and proba[best] <= rule.personal_data_min:
        return None
    return SafetyCall(SafetyKind(best), f"scorer {best} {proba[best]:.2f} (not ordinary {safe:.2f})")


def hint(cue_hint: bool, proba: dict[str, float] | None, rule: DecisionRule) -> bool:
    return cue_hint or (proba is not None and proba[SafetyKind.SCAM.value] > rule.scam_hint_min)
