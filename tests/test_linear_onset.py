"""The linear onset of barge-in (pure: `LinearRise` and `BargeInDetector` fed frame by frame): a
visitor's first syllable shows in the linear echo filter's residual before AEC3's output and the
VAD say anything, and the avatar's own voice, its clipped loudest syllables and its pauses do not."""

from __future__ import annotations

import pytest

from runtime.turn_taking.barge_in import BargeInConfig, BargeInDetector, Decision


def test_a_rise_of_the_linear_filters_residual_pauses_before_the_vad_is_sure():
    """WebRTC's suppressor hides a visitor's first syllable in double talk and the VAD needs a few
    frames: the linear filter's residual rising above what the avatar's voice left there over the
    last second pauses the avatar on the first frame the cleaned microphone hears anything."""
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
    far, residual = 0.3, 10 ** (-40 / 20)            # the avatar's voice, as the linear filter leaves it
    quiet = 10 ** (-72 / 20)                          # AEC3's output while the avatar talks alone
    for i in range(40):                               # 1.28 s of the avatar talking: nothing
        assert det.frame(i * 0.032, 0.032, 0.0, quiet, far, True, residual * (1 + 0.5 * (i % 3))) is None
    voice = 10 ** (-20 / 20)
    # The visitor starts: AEC3 still shows nothing (suppressed) -> not yet ...
    assert det.frame(1.28, 0.032, 0.0, quiet, far, True, voice) is None
    # ... the next frame it lets something by: paused, though the VAD says 0.0.
    assert det.frame(1.312, 0.032, 0.0, 10 ** (-45 / 20), far, True, voice) is Decision.PAUSE
    assert det.onset == pytest.approx(1.28)          # where the residual rose: the voice began there
    # Held while the voice goes on (the avatar silent now; the VAD catches up) ...
    probs = [0.2, 0.2, 0.9, 0.9] + [0.0] * 12          # the VAD is not sure for two more frames
    decisions = [det.frame(1.344 + i * 0.032, 0.032, p, voice if p else quiet, 0.0, True) for i, p in enumerate(probs)]
    # ... and a short sound is let go only after the release silence (0.35 s), not at once.
    assert decisions[:13] == [None] * 13 and Decision.RESUME in decisions


def test_the_linear_rise_is_quiet_in_an_answers_first_moments_and_never_learns_a_voice():
    from runtime.turn_taking.barge_in import LinearRise
    rise = LinearRise(rise_db=6.0, min_dbfs=-35.0, settle_s=0.4)
    # The avatar's first loud syllable rises over nothing: not a visitor.
    assert [rise.frame(i * 0.032, -25.0 if i == 2 else -40.0, True) for i in range(10)] == [False] * 10
    assert rise.frame(0.5, -15.0, True)              # 10 dB over the last second's loudest (-25)
    assert rise.frame(0.532, -15.0, True)            # a voice that goes on is still a rise (never learned)
    assert not rise.frame(0.6, -15.0, False)         # the avatar stopped: forget, start over
    assert not rise.frame(0.7, -10.0, True)
    # A voice AEC3 still hides: a rise that stands 10 dB up for 2 frames is sustained; a blip is not.
    rise = LinearRise(rise_db=6.0, min_dbfs=-35.0, settle_s=0.4)
    for i in range(20):
        rise.frame(i * 0.032, -40.0, True)
    assert rise.frame(0.64, -20.0, True) and not rise.sustained and rise.before is None
    assert not rise.frame(0.672, -40.0, True)         # a blip: gone ...
    assert rise.before == pytest.approx(0.64)         # (... the frame before it rose)
    assert [rise.frame(0.704 + i * 0.032, -22.0, True) and rise.sustained for i in range(3)] == [False, True, True]
    rise = LinearRise(rise_db=6.0, min_dbfs=-35.0, settle_s=0.4)
    for i in range(20):
        rise.frame(i * 0.032, -40.0, True)
    assert [rise.frame(0.64 + i * 0.032, -31.0, True) and rise.sustained for i in range(4)] == [False] * 4  # 9 dB


def test_a_visitor_who_goes_on_talking_as_the_avatar_goes_on_shows_at_once():
    """"Wait, … how much is parking?": the avatar paused for "Wait," and went on in the visitor's
    pause. What its voice left before the pause still holds; the first 0.4 s after going on are not
    learned anew (they would take the visitor's voice for the avatar's echo)."""
    from runtime.turn_taking.barge_in import LinearRise
    for held in (True, False):
        rise = LinearRise(rise_db=6.0, min_dbfs=-35.0, settle_s=0.4)
        for i in range(30):                            # ~1 s of the avatar: residual -40 dBFS
            rise.frame(i * 0.032, -40.0, True)
        for i in range(15):                            # paused 0.48 s
            if held:
                rise.hold(0.96 + i * 0.032)
            else:                                      # (as it was: forgotten while paused)
                rise.frame(0.96 + i * 0.032, -40.0, False)
        # it goes on; the visitor goes on too, 40 ms later
        assert not rise.frame(1.44, -40.0, True)
        assert rise.frame(1.472, -20.0, True) is held
    assert rise.history and rise.since is not None


def test_the_detector_pauses_again_for_a_visitor_who_goes_on_after_it_went_on():
    det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
    far, residual, quiet, leak, voice = 0.3, 10 ** (-40 / 20), 10 ** (-72 / 20), 10 ** (-45 / 20), 0.1
    for i in range(30):
        assert det.frame(i * 0.032, 0.032, 0.0, quiet, far, True, residual) is None
    assert det.frame(0.96, 0.032, 0.0, leak, far, True, voice) is Decision.PAUSE       # "Wait,"
    t, decision = 0.992, None
    while decision is None and t < 2.0:                 # silence while paused: it goes on after 0.35 s
        decision = det.frame(t, 0.032, 0.0, quiet, 0.0, True, 10 ** (-60 / 20))
        t += 0.032
    assert decision is Decision.RESUME
    assert det.frame(t, 0.032, 0.0, quiet, far, True, residual) is None                   # the avatar again
    assert det.frame(t + 0.032, 0.032, 0.0, leak, far, True, voice) is Decision.PAUSE    # "how much…"


def test_a_rise_the_cleaned_microphone_hears_a_frame_later_pauses():
    """AEC3's output lags the linear residual: the residual rose while AEC3 still showed nothing,
    the next frame AEC3 lets something by while the residual has fallen back (the visitor's "Ac-"
    of "Actually"). That is the visitor, from the frame the residual rose — but only the very next
    frame: AEC3's own noise later is not."""
    far, residual, quiet = 0.3, 10 ** (-40 / 20), 10 ** (-72 / 20)
    leak = 10 ** (-45 / 20)
    for gap, expected in ((0, Decision.PAUSE), (1, None)):
        det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
        for i in range(40):
            assert det.frame(i * 0.032, 0.032, 0.0, quiet, far, True, residual) is None
        assert det.frame(1.28, 0.032, 0.0, quiet, far, True, 10 ** (-31 / 20)) is None     # 9 dB up, AEC3 silent
        t = 1.312
        for _ in range(gap):
            assert det.frame(t, 0.032, 0.0, quiet, far, True, residual) is None
            t += 0.032
        assert det.frame(t, 0.032, 0.0, leak, far, True, residual) is expected
        if expected is not None:
            assert det.onset == pytest.approx(1.28)


def test_where_the_microphone_clipped_aec3s_leak_needs_a_wider_margin():
    """The speaker drove the microphone into clipping: AEC3 cannot remove that distortion, and the
    VAD takes it for speech. Speech over a clipped chunk must stand `clipped_margin_db` more above
    the echo."""
    far = 10 ** (-10 / 20)                           # the avatar loud; echo learned at -30 dB coupling
    for clipped, expected in ((False, Decision.PAUSE), (True, None)):
        det = BargeInDetector(BargeInConfig(initial_coupling_db=-30.0))
        quiet = 10 ** (-72 / 20)
        for i in range(40):
            assert det.frame(i * 0.032, 0.032, 0.0, quiet, far, True) is None
        leak = 10 ** (-28 / 20)                      # 12 dB over the echo (-40): over the 6 dB margin
        decisions = [det.frame(1.28 + i * 0.032, 0.032, 0.9, leak, far, True, None, None, clipped)
                     for i in range(3)]
        assert (Decision.PAUSE in decisions) is (expected is Decision.PAUSE)
