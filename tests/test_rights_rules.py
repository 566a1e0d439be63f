"""The pure rules of runtime/rights: the record's schema errors, consent judgement at its edges,
the clock rule, the one-way watch, licence flags. Time is an argument everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from runtime.rights.clock import TrustedClock
from runtime.rights.consent import Site, Standing, judge
from runtime.rights.licences import commercial_flags
from runtime.rights.record import Commercial, RightsError, parse_record
from runtime.rights.shipped import shipped_records
from runtime.rights.watch import AssetState, RightsWatch
from tests.rights_fixtures import original_record, person_record

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.timezone.utc)
S = dt.timedelta(seconds=1)


def _person(**kw):
    return parse_record(yaml.safe_load(person_record(T0 + 60 * S, **kw)))


def test_consent_is_judged_to_the_instant_and_within_its_scope():
    rec, site = _person(venues=("mall-a",), regions=("CN-SH",)), Site("mall-a", "CN-SH")
    assert judge(rec, site, T0 + 59.9 * S).allowed
    assert judge(rec, site, T0 + 60 * S).standing is Standing.EXPIRED          # valid_until is exclusive
    assert judge(rec, site, T0 - dt.timedelta(days=366)).standing is Standing.NOT_YET
    assert judge(rec, Site("mall-a", "CN-SH-PD"), T0).allowed                  # a sub-region
    assert judge(rec, Site("mall-a", "CN-BJ"), T0).standing is Standing.OUT_OF_SCOPE
    assert judge(rec, Site("", "CN-SH"), T0).standing is Standing.OUT_OF_SCOPE      # site unknown: refused
    assert judge(rec, Site("mall-a", "CN-SH", ("commercial", "advertising")), T0).standing is Standing.OUT_OF_SCOPE
    assert judge(rec, site, T0, frozenset({"lin-xiaoyu-character"})).standing is Standing.REVOKED
    assert judge(rec, site, T0, clock_trusted=False).standing is Standing.CLOCK_UNTRUSTED
    nova = parse_record(yaml.safe_load(original_record("avatar", "nova")))
    assert judge(nova, Site(), T0, clock_trusted=False).allowed                # nobody's likeness: no consent


@pytest.mark.parametrize("edit, message", [
    (lambda r: r.pop("consent"), "consent: expected a consent record: origin is real-person"),
    (lambda r: r["consent"].update(valid_until="2026-12-06T09:00:00"), "expected a time zone"),
    (lambda r: r["consent"].update(likness=["face"]), "unknown field 'likness'"),
    (lambda r: r["consent"]["scope"].update(venues=[]), "scope.venues: expected a list of at least one name"),
    (lambda r: r.update(origin="stolen"), "origin: expected one of original, licensed, real-person"),
    (lambda r: r["consent"].update(valid_from="2027-01-01T00:00:00Z"), "valid_until: expected a time after"),
])
def test_a_bad_record_is_refused_naming_its_field(edit, message):
    raw = yaml.safe_load(person_record(T0))
    edit(raw)
    with pytest.raises(RightsError, match=message):
        parse_record(raw, "rights.yaml")


def test_the_clock_never_goes_back_and_a_clock_known_wrong_is_not_trusted():
    clock = TrustedClock(T0, 100.0)
    assert clock.now(T0 + 10 * S, 110.0) == T0 + 10 * S and clock.trusted
    assert clock.now(T0 - 60 * S, 111.0) == T0 + 11 * S and clock.trusted        # set back a minute: carried on
    assert clock.now(dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc), 112.0) == T0 + 12 * S
    assert not clock.trusted                                                     # reset at boot: known wrong
    assert clock.now(T0 + 3600 * S, 113.0) == T0 + 3600 * S and clock.trusted    # set forward: taken at once
    assert TrustedClock().now(T0, 0.0) == T0                                     # no floor yet: the wall clock


def test_the_watch_ends_an_asset_once_and_never_brings_it_back():
    watch = RightsWatch({"avatar": _person()}, Site("mall-a"))
    assert watch.tick(T0) == [] and watch.assets["avatar"].state is AssetState.IN_FORCE
    (ended,) = watch.tick(T0 + 60 * S)
    assert ended.kind == "avatar" and ended.verdict.standing is Standing.EXPIRED
    assert watch.tick(T0 + 61 * S) == [] and watch.tick(T0) == []               # a clock set back does not revive it
    assert watch.summary()[0]["state"] == "ended"


def test_the_shipped_voice_is_flagged_for_its_research_only_ancestry():
    records = {k: rec for k, (_body, rec) in shipped_records().items()}
    assert {"nova-character", "piper-en_US-joe-medium", "kokoro-82m-zh", "whisper-base"} <= set(records)
    flags = commercial_flags(records["piper-en_US-joe-medium"], ("commercial",))
    assert any(f.commercial is Commercial.FORBIDS and "Lessac" in f.where for f in flags)
    assert any("a real person" in f.note and "joe" in f.where for f in flags)
    assert commercial_flags(records["nova-character"], ("commercial",)) == []
    assert commercial_flags(records["piper-en_US-joe-medium"], ("education",)) != []   # the people are flagged anyway
