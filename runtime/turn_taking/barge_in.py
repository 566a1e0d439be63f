"""Barge-in: is the visitor talking over the avatar, or is it the avatar's own voice, or an "uh-huh"?

Pure: per VAD frame it takes the time, the speech probability and level of the echo-cancelled
microphone, and the loudest level the speaker played over the last reverberation time; it never
reads a clock. Three decisions, like a person who is talked over:

- PAUSE: speech has lasted `pause_after_s` and stands `margin_db` above the loudest echo the
  avatar's own voice could leave (`EchoCoupling`, learned while the avatar talks) and
  `near_margin_db` above the hall's noise floor (the crowd behind a visitor talks too); or, sooner, the
  residual of a linear echo filter rises `onset_rise_db` above anything the avatar's voice left
  there over the last second while the cleaned microphone hears something (in that frame or the
  next: AEC3's output lags the linear residual), or stays `onset_sustain_db` above it for
  `onset_sustain_s` while it does not (`LinearRise`: the VAD needs 60-150 ms to be sure, and
  WebRTC's suppressor hides a visitor's first syllable in double talk). The avatar stops at once
  and its mouth closes: this is what keeps the stop latency under 150 ms. Where the raw microphone
  clipped, AEC3's output holds the echo's distortion: speech must stand `clipped_margin_db` more
  above the echo there.
- CONFIRM: the visitor went on speaking — `confirm_after_s` of voiced speech since the onset, at
  `confirm_level_dbfs` or louder: an interruption. Queued answers are dropped; the kiosk listens.
- RESUME: the sound ended (`release_after_s` of silence) before that — a cough, "嗯", "uh-huh" — or
  `max_pause_s` passed undecided: the avatar goes on from the start of the word it was in (and that
  sound, if it goes on, does not pause it again).
"""

from __future__ import annotations

import collections
import enum
import statistics
from dataclasses import dataclass, field

from runtime.audio.levels import SILENCE_DBFS, level_dbfs  # noqa: F401  (level_dbfs: re-exported)
from runtime.shared.errors import ConfigError


@dataclass(frozen=True)
class BargeInConfig:
    pause_after_s: float = 0.032       # speech over the avatar this long: pause (stop, close the mouth)
    confirm_after_s: float = 0.7       # voiced this long since the onset: an interruption (a drawn-out
                                       # "mhm" lasts 0.6 s; a shorter interruption is told by its words)
    release_after_s: float = 0.35      # silence this long while paused, unconfirmed: a backchannel
                                       # (longer than the pause after "No," or "Wait,")
    max_pause_s: float = 2.0           # never hold the answer longer than this undecided ("Wait, … how
                                       # much is parking?" is voiced 0.7 s only 1.9 s after its onset)
    speech_threshold: float = 0.5      # VAD probability that counts as speech
    unsure_prob: float = 0.3           # a loud frame at or above this is never learned as echo, and is
    loud_margin_db: float = 10.0       # a frame this far above the echo is speech at `loud_prob` already
    loud_prob: float = 0.3             # (double talk and a voice's first consonant leave the VAD unsure)
    margin_db: float = 6.0             # above the loudest echo the avatar's voice could leave
    initial_coupling_db: float = -10.0  # echo left in the cleaned microphone vs the speaker, until learned
    coupling_decay_db_per_s: float = 1.0   # how fast a learned echo peak is forgotten
    min_level_dbfs: float = -45.0      # quieter than this is never a visitor talking to the kiosk
    near_margin_db: float = 18.0       # the VAD's speech must stand this far above the hall's noise floor
                                       # (when known): a visitor at the kiosk, not a burst of the crowd
                                       # (as a whole turn must: `LevelGate.turn_margin_db`)
    confirm_level_dbfs: float = -42.0  # an interruption's voiced frames reach this (median)
    reverb_s: float = 0.25             # the speaker's level is taken as its loudest over this window
    learn_delay_s: float = 0.4         # echo is learned from frames this old (the VAD lags a voice's onset)
    onset_rise_db: float = 6.0         # linear residual above its loudest over the last second: a voice
    onset_min_dbfs: float = -35.0      # ...at least this loud
    onset_mic_dbfs: float = -60.0      # ...and the cleaned microphone not silent (AEC3 let something by)
    onset_settle_s: float = 0.4        # not in an answer's first moments (nothing learned yet)
    onset_sustain_db: float = 10.0     # ...or, with AEC3 still hiding it, this far above for this long
    onset_sustain_s: float = 0.064     # (two frames: the linear filter's echo-path hiccups are one
                                       # frame, or sit on a clipped chunk, which is not trusted)
    clipped_margin_db: float = 10.0    # more above the echo where the raw microphone clipped

    def __post_init__(self) -> None:
        if not 0 < self.speech_threshold < 1:
            raise ConfigError("barge_in.speech_threshold: expected 0 < p < 1")
        for name in ("pause_after_s", "confirm_after_s", "release_after_s", "max_pause_s", "reverb_s",
                     "coupling_decay_db_per_s"):
            if getattr(self, name) < 0:
                raise ConfigError(f"barge_in.{name}: expected a value >= 0")
        if self.confirm_after_s < self.pause_after_s:
            raise ConfigError("barge_in.confirm_after_s: expected >= pause_after_s")


ECHO_GONE_S = 0.064        # after a pause, the cancelled echo of the avatar has died away by then
MIN_VOICED_ALONE_S = 0.1   # an interruption is also heard with the avatar silent (echo cannot be)


class Decision(enum.Enum):
    PAUSE = "pause"
    CONFIRM = "confirm"
    RESUME = "resume"


@dataclass
class EchoCoupling:
    """How loud the avatar's own voice comes back in the cleaned microphone, relative to what the
    speaker plays (dB): a peak follower that rises at once and falls slowly, learned only while the
    avatar talks and nobody is suspected of talking over it. Echo cancellers converge, rooms change,
    a speaker gets turned up: the gate follows."""

    coupling_db: float
    decay_db_per_s: float
    far_active_dbfs: float = -25.0     # learn only while the avatar is loud: in its quiet moments the
                                       # hall's own noise would be taken for echo
    ceiling_db: float = 6.0

    def learn(self, mic_db: float, far_db: float, seconds: float) -> None:
        self.coupling_db -= self.decay_db_per_s * seconds
        if far_db >= self.far_active_dbfs:
            self.coupling_db = min(self.ceiling_db, max(self.coupling_db, mic_db - far_db))

    def echo_db(self, far_db: float) -> float:
        return far_db + self.coupling_db


@dataclass
class LinearRise:
    """Is the linear echo filter's residual rising above what the avatar's voice has been leaving
    there? It learns the residual's loudest over `history_s` while the avatar talks (never from a
    rise, which may be the visitor), and answers only after `settle_s` of the avatar talking.
    `sustained`: the residual has stood `sustain_db` above that for `sustain_s` — a voice, even
    while AEC3's suppressor still hides it (an echo-path hiccup of the linear filter is shorter)."""

    rise_db: float
    min_dbfs: float
    settle_s: float
    sustain_db: float = 10.0
    sustain_s: float = 0.064
    history_s: float = 1.0
    since: float | None = None
    strong_since: float | None = None
    sustained: bool = False
    rose_at: float | None = None       # start of the last frame, if it rose
    before: float | None = None        # start of the frame before it, if that one rose
    held_at: float | None = None       # the avatar paused here (for someone talking over it)
    history: collections.deque = field(default_factory=collections.deque)

    def hold(self, t: float) -> None:
        """The avatar is paused: learn nothing (that is the visitor), forget nothing. When it goes
        on with the same answer, what its voice left before the pause is still what it leaves, and
        a visitor who goes on talking over it shows at once (else the first 0.4 s, learned anew,
        would take their voice for the avatar's echo)."""
        self.held_at = t if self.held_at is None else self.held_at
        self.strong_since = self.rose_at = self.before = None
        self.sustained = False

    def frame(self, t: float, level_db: float, avatar_speaking: bool, seconds: float = 0.032) -> bool:
        self.before = self.rose_at
        if not avatar_speaking:
            self.since = self.strong_since = self.rose_at = self.before = self.held_at = None
            self.sustained = False
            self.history.clear()
            return False
        if self.held_at is not None:            # going on after a pause: its clock stood still
            gap = t - self.held_at
            self.history = collections.deque((ht + gap, db) for ht, db in self.history)
            self.since = None if self.since is None else self.since + gap
            self.held_at = None
        if self.since is None:
            self.since = t
        while self.history and self.history[0][0] < t - self.history_s:
            self.history.popleft()
        peak = max((db for _, db in self.history), default=SILENCE_DBFS)
        rising = level_db >= self.min_dbfs and level_db - peak >= self.rise_db
        settled = t - self.since >= self.settle_s
        if not (rising and settled):
            self.history.append((t, level_db))
        strong = rising and settled and level_db - peak >= self.sustain_db
        self.strong_since = (self.strong_since if self.strong_since is not None else t) if strong else None
        self.sustained = strong and t + seconds - self.strong_since >= self.sustain_s
        self.rose_at = t if rising and settled else None
        return rising and settled


class _State(enum.Enum):
    WATCHING = "watching"
    ONSET = "onset"
    PAUSED = "paused"
    IGNORING = "ignoring"      # held the answer max_pause_s for an undecided sound: let it end first
    CONFIRMED = "confirmed"


@dataclass
class BargeInDetector:
    config: BargeInConfig = BargeInConfig()
    state: _State = _State.WATCHING
    onset: float | None = None
    paused_at: float = 0.0
    voiced_s: float = 0.0
    last_voiced: float = 0.0
    levels: list[float] = field(default_factory=list)
    echo: EchoCoupling | None = None
    recent: list[tuple[float, float, float, float, bool]] = field(default_factory=list)  # t, s, mic, far, learnable
    misses: int = 0
    paused_voiced_s: float = 0.0       # voiced while the avatar was silent: cannot be its echo
    heard_alone: bool = False          # at the last RESUME: speech went on with the avatar silent, so
                                       # the words heard are the visitor's, not its echo
    rise: LinearRise | None = None
    _extra_db: float = 0.0             # `clipped_margin_db` while the raw microphone clipped

    def __post_init__(self) -> None:
        if self.echo is None:
            self.echo = EchoCoupling(self.config.initial_coupling_db, self.config.coupling_decay_db_per_s)
        if self.rise is None:
            cfg = self.config
            self.rise = LinearRise(cfg.onset_rise_db, cfg.onset_min_dbfs, cfg.onset_settle_s,
                                   cfg.onset_sustain_db, cfg.onset_sustain_s)

    @property
    def paused(self) -> bool:
        return self.state is _State.PAUSED

    @property
    def confirmed(self) -> bool:
        """An interruption was decided and the avatar has not fallen silent since."""
        return self.state is _State.CONFIRMED

    def reset(self) -> None:
        self.state, self.onset, self.voiced_s, self.levels = _State.WATCHING, None, 0.0, []
        self.misses, self.paused_voiced_s = 0, 0.0

    def frame(self, t: float, seconds: float, speech_prob: float, mic_rms: float, far_rms: float,
              avatar_speaking: bool, linear_rms: float | None = None,
              floor_db: float | None = None, clipped: bool = False) -> Decision | None:
        """Feed one frame (start `t`, `seconds` long); returns a decision when this frame makes one.
        `avatar_speaking` is True while the avatar talks or is paused by this detector;
        `linear_rms` is the linear echo filter's residual over the frame (None: not known);
        `floor_db` the hall's noise floor in the cleaned microphone (None: not known);
        `clipped`: the raw microphone reached full scale in or just before this frame."""
        cfg = self.config
        end = t + seconds
        mic_db, far_db = level_dbfs(mic_rms), level_dbfs(far_rms)
        self._extra_db = cfg.clipped_margin_db if clipped else 0.0
        if self.state is _State.PAUSED and avatar_speaking:
            self.rise.hold(t)
        rising = self.state is not _State.PAUSED and linear_rms is not None and self.rise.frame(
            t, level_dbfs(linear_rms), avatar_speaking, seconds)
        # The residual rose a frame ago, AEC3 lets something by only now.
        lagged = linear_rms is not None and not rising and self.rise.before is not None
        if self.state is _State.PAUSED:
            return self._while_paused(end, seconds, speech_prob, mic_db)
        if not avatar_speaking:
            self.reset()
            return None
        if self.state is _State.CONFIRMED:
            return None
        if self.state is _State.IGNORING:
            if speech_prob >= cfg.speech_threshold:
                self.last_voiced = end
            elif end - self.last_voiced >= cfg.release_after_s:
                self.reset()
            return None
        if (rising or lagged) and (mic_db >= cfg.onset_mic_dbfs or self.rise.sustained):
            first = self.rise.before if self.rise.before is not None else t
            self.onset = self.onset if self.onset is not None else first
            self.state, self.paused_at, self.voiced_s, self.levels, self.recent = _State.PAUSED, end, 0.0, [], []
            self.last_voiced = end         # the release (a backchannel's end) counts from here
            return Decision.PAUSE
        over_echo = self._over_echo(mic_db, far_db)
        loud = over_echo and mic_db >= self.echo.echo_db(far_db) + cfg.margin_db + cfg.loud_margin_db
        near = floor_db is None or mic_db >= floor_db + cfg.near_margin_db
        if over_echo and near and (speech_prob >= cfg.speech_threshold or (loud and speech_prob >= cfg.loud_prob)):
            if self.onset is None:
                self.state, self.onset, self.voiced_s, self.levels = _State.ONSET, self._onset(t), 0.0, []
                self.recent = []          # the loud frames before the VAD spoke were the visitor, not echo
            self.voiced_s += seconds
            self.last_voiced = end
            self.levels.append(mic_db)
            if end - self.onset >= cfg.pause_after_s:
                self.state, self.paused_at = _State.PAUSED, end
                return Decision.PAUSE
            return None
        if self.state is _State.ONSET and self.misses == 0:
            self.misses = 1               # one frame's dip (double talk, a plosive) does not end an onset
            return None
        if self.state is _State.WATCHING:
            self._learn_later(t, seconds, mic_db, far_db, learnable=speech_prob < cfg.unsure_prob or not over_echo)
        self.reset()
        return None

    def _over_echo(self, mic_db: float, far_db: float) -> bool:
        cfg = self.config
        return mic_db >= max(cfg.min_level_dbfs, self.echo.echo_db(far_db) + cfg.margin_db + self._extra_db)

    def _onset(self, t: float) -> float:
        """The VAD is a frame or two late: the onset is where the loud frames just before it began."""
        onset = t
        for ft, _, mic_db, far_db, _ in reversed(self.recent):
            if ft < onset - 0.05 or not self._over_echo(mic_db, far_db):
                break
            onset = ft
        return onset

    def _learn_later(self, t: float, seconds: float, mic_db: float, far_db: float, learnable: bool) -> None:
        """Echo is learned from frames `learn_delay_s` old that did not start a visitor's onset, and
        never from a loud frame the VAD was unsure of (a visitor's first syllable, double talk)."""
        self.recent.append((t, seconds, mic_db, far_db, learnable))
        while self.recent and self.recent[0][0] < t - self.config.learn_delay_s:
            _, s, m, f, ok = self.recent.pop(0)
            self.echo.learn(m if ok else SILENCE_DBFS, f, s)      # an unlearnable frame still lets the peak decay

    def _while_paused(self, end: float, seconds: float, speech_prob: float, mic_db: float) -> Decision | None:
        """The avatar is silent now: the microphone hears the visitor (and the room's tail)."""
        cfg = self.config
        if speech_prob >= cfg.speech_threshold and mic_db >= cfg.min_level_dbfs:
            self.voiced_s += seconds
            self.last_voiced = end
            self.levels.append(mic_db)
            if end - self.paused_at > ECHO_GONE_S:
                self.paused_voiced_s += seconds
            if (self.voiced_s >= cfg.confirm_after_s and self.paused_voiced_s >= MIN_VOICED_ALONE_S
                    and statistics.median(self.levels) >= cfg.confirm_level_dbfs):
                self.state = _State.CONFIRMED
                return Decision.CONFIRM
        if end - self.last_voiced >= cfg.release_after_s:
            self.heard_alone = self.paused_voiced_s >= MIN_VOICED_ALONE_S
            self.reset()
            return Decision.RESUME
        if end - self.paused_at >= cfg.max_pause_s:
            self.heard_alone = self.paused_voiced_s >= MIN_VOICED_ALONE_S
            self.state = _State.IGNORING           # go on talking; this sound does not pause it again
            return Decision.RESUME
        return None

    def confirm(self) -> Decision:
        """The words heard while paused say this is an interruption (see `backchannel_words`)."""
        self.state = _State.CONFIRMED
        return Decision.CONFIRM

    def finished(self) -> None:
        """The visitor's confirmed turn is over (or the avatar stopped): watch again."""
        self.reset()
