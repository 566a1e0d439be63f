"""Visitors arriving and leaving, the daily brightness schedule, and throttling (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from runtime.shared.errors import ConfigError
from runtime.surroundings.presence import ActionKind, FrameRateGovernor, PresenceConfig, PresencePolicy

NOON = dt.time(12, 0)


def kinds(actions):
    return [a.kind for a in actions]


def test_an_arrival_is_greeted_once_and_looked_at():
    policy = PresencePolicy(PresenceConfig(greet_cooldown_s=20))
    assert kinds(policy.on_presence(True, 10.0, position=0.4)) == [ActionKind.GREET, ActionKind.LOOK_AT]
    assert kinds(policy.on_presence(True, 11.0, position=0.2)) == [ActionKind.LOOK_AT]
    policy.on_presence(False, 15.0)
    assert kinds(policy.on_presence(True, 20.0)) == [ActionKind.LOOK_AT]          # back within the cooldown
    policy.on_presence(False, 25.0)
    assert kinds(policy.on_presence(True, 60.0))[0] is ActionKind.GREET


def test_nobody_there_attracts_then_dims_and_a_visitor_wakes_it():
    cfg = PresenceConfig(attract_after_s=60, attract_every_s=45, dim_after_s=300, dim_percent=20,
                         schedule=(("08:00", 100),))
    policy = PresencePolicy(cfg, start=0.0)
    assert [a.value for a in policy.tick(0.0, NOON)] == [100]
    attracts = [t for t in range(0, 400, 5) if ActionKind.ATTRACT in kinds(policy.tick(float(t), NOON))]
    assert attracts[0] == 60 and attracts[1] == 105 and all(t < 300 for t in attracts)
    assert policy.tick(400.0, NOON) == []   # already dimmed at 300
    policy.on_presence(True, 401.0)
    assert [(a.kind, a.value) for a in policy.tick(401.0, NOON)] == [(ActionKind.BRIGHTNESS, 100)]


def test_brightness_follows_the_schedule_across_midnight():
    cfg = PresenceConfig(schedule=(("08:00", 100), ("21:00", 60)))
    assert cfg.scheduled_brightness(dt.time(7, 59)) == 60
    assert cfg.scheduled_brightness(dt.time(8, 0)) == 100
    assert cfg.scheduled_brightness(dt.time(23, 30)) == 60
    policy = PresencePolicy(cfg)
    policy.on_presence(True, 0.0)
    assert [a.value for a in policy.tick(1.0, dt.time(20, 59))] == [100]
    assert [a.value for a in policy.tick(2.0, dt.time(21, 0))] == [60]


def test_bad_schedules_are_refused_with_the_field():
    with pytest.raises(ConfigError, match="presence.schedule: '25:00' is not HH:MM"):
        PresenceConfig(schedule=(("25:00", 50),))
    with pytest.raises(ConfigError, match="outside 0..100"):
        PresenceConfig(schedule=(("08:00", 150),))


def test_throttling_lowers_the_frame_rate_and_it_recovers():
    gov = FrameRateGovernor(base_fps=30, min_fps=12, recover_after_s=30)
    assert gov.update(True, 0.0) == pytest.approx(22.5)
    for t in range(1, 6):
        gov.update(True, float(t))
    assert gov.fps == 12
    gov.update(False, 10.0)
    assert gov.update(False, 39.0) == 12
    assert gov.update(False, 40.0) == pytest.approx(16.0)
    for t in range(41, 400):
        gov.update(False, float(t))
    assert gov.fps == 30
