"""How the cue reading and the learned scorer's probabilities make one decision. Pure.

- A cue call stands (the cues were written for the kinds and are precise on what they catch), but
  its kind gives way to the scorer's when the scorer is sure of another safety kind (above
  `kind_override_min`: "they were right behind me and now I can't see them" is a lost child, not
  the emergency the words "can't see" suggest), and it is dropped when both the scorer and the
  nearest exemplars say ordinary (P(ordinary) above `cue_veto_min` and the turn nearer to the
  ordinary exemplars than to the cue kind's: "can I buy gift cards here for a present" carries a
  gift-card cue, and its neighbours are ordinary shopping questions).
- Otherwise the scorer decides: the turn is a safety turn when the probability of *not* being
  ordinary is above `threshold`, and its kind is the likeliest safety kind. Personal data (which
  calls no one) needs its own probability above `personal_data_min`: the jailbreak and abuse turns
  look like it, and a refusal there is a false safety answer.
- And the exemplars must agree with the scorer's call: the turn must be at least as near to the
  called kind's exemplars as to the ordinary ones (`near`: the mean cosine of the `neighbours`
  nearest exemplars of each class, margin `ordinary_margin`). A softmax extrapolates: a turn unlike
  every exemplar (a complaint about the kiosk, a thank-you) can land far on a safety kind's side of
  a plane while its nearest turns are ordinary ones; the neighbours do not extrapolate.
- The fraud guard's hint (hold back money-moving answers): a cue hint (unless the scorer and the
  neighbours say ordinary, as above), or a scam probability above `scam_hint_min` that the nearest
  exemplars agree with.

The numbers were chosen on the tuning sets (`TUNING` in bench/safety.py) by 10-fold cross-validation
(bench/safety.py reports the cross-validated figures); the held-out set (`HELD_OUT`) never set them
(docs/safety.md). An emergency's or a scam's nearness margin is 0: missing one costs more than a
needless staff call.
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
    neighbours: int = 5             # exemplars per class whose mean cosine is the turn's nearness to it
    cue_veto_min: float = 0.3       # a cue is dropped above this P(ordinary) when the neighbours agree
    ordinary_margin: float = 0.01   # a scorer-only call needs nearness(kind) - nearness(ordinary) >= this
    urgent_margin: float | None = 0.0   # ... for an emergency or a scam (None: `ordinary_margin`): missing
                                        # one costs more than a needless staff call
    l2: float = 0.02                # the scorer's regularisation (fitted with it)


def decide(cue: SafetyCall | None, proba: dict[str, float] | None, rule: DecisionRule,
           near: dict[str, float] | None = None) -> SafetyCall | None:
    """`near`: per class (kinds and "none"), the turn's mean cosine to its `rule.neighbours` nearest
    exemplars (None: no agreement check)."""
    if proba is None:
        return cue
    safe = 1.0 - proba[NONE]
    kinds = [k for k in KIND_CLASSES if k != NONE]
    best = max(kinds, key=lambda k: proba[k])
    if cue is not None:
        if _ordinary_after_all(cue.kind.value, proba, rule, near):
            return None
        if best != cue.kind.value and proba[best] > rule.kind_override_min:
            return SafetyCall(SafetyKind(best), f"{cue.cue} / scorer {best} {proba[best]:.2f}")
        return cue
    if safe <= rule.threshold:
        return None
    if best == SafetyKind.PERSONAL_DATA.value and proba[best] <= rule.personal_data_min:
        return None
    if near is not None and near[best] - near[NONE] < _margin(best, rule):
        return None
    return SafetyCall(SafetyKind(best), f"scorer {best} {proba[best]:.2f} (not ordinary {safe:.2f})")


def hint(cue_hint: bool, proba: dict[str, float] | None, rule: DecisionRule,
         near: dict[str, float] | None = None) -> bool:
    scam = SafetyKind.SCAM.value
    if cue_hint:
        return not _ordinary_after_all(scam, proba, rule, near)
    if proba is None or proba[scam] <= rule.scam_hint_min:
        return False
    return near is None or near[scam] - near[NONE] >= _margin(scam, rule)


URGENT = (SafetyKind.EMERGENCY.value, SafetyKind.SCAM.value)


def _margin(kind: str, rule: DecisionRule) -> float:
    if kind in URGENT and rule.urgent_margin is not None:
        return rule.urgent_margin
    return rule.ordinary_margin


def _ordinary_after_all(kind: str, proba: dict[str, float] | None, rule: DecisionRule,
                        near: dict[str, float] | None) -> bool:
    """Do the scorer and the nearest exemplars both say a cue's turn is ordinary?"""
    if proba is None or near is None:
        return False
    return proba[NONE] > rule.cue_veto_min and near[kind] - near[NONE] < _margin(kind, rule)
