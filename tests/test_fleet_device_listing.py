"""`fleet/device_listing.py`: what `fleet devices` / `fleet status` show of 1 000 kiosks without
flooding the terminal: a summary of counts by condition, a filter, and pages."""

from __future__ import annotations

import pytest

from fleet.admin import DeviceView
from fleet.device_listing import Condition, footer, listing


def _fleet(n: int = 1000) -> dict:
    """Every 10th kiosk offline, every 25th with a refused install, every 40th on the old content,
    kiosk 7 with a staff alert and kiosk 8 with settings refused."""
    views = {}
    for i in range(n):
        d = f"k-{i:04d}"
        installs = {"content": {"state": "rejected", "reason": "bad-signature"}} if i % 25 == 0 else {}
        views[d] = DeviceView(d, status={"online": i % 10 != 0, "site": "mall"},
                              reported={"versions": {"content": "1.9.0" if i % 40 == 0 else "2.0.0", "voice": "x.y"},
                                        "installs": installs, "alerts": ["a1"] if i == 7 else [],
                                        "settings_error": "volume: expected 0..1" if i == 8 else None})
    return views


def test_a_page_of_fifty_rows_and_a_summary_of_every_kiosk():
    shown = listing(_fleet())
    assert shown.device_ids == [f"k-{i:04d}" for i in range(50)]
    assert shown.summary == "1000 kiosks: 900 online, 100 offline, 41 failing, 25 outdated, 1 with staff alerts"
    assert (shown.page, shown.pages, shown.matching, shown.total) == (1, 20, 1000, 1000)
    assert footer(shown, ()) == "rows 1-50 of 1000 kiosks, page 1 of 20; --page 2 for the next, --all for every row"
    last = listing(_fleet(), page=20)
    assert last.device_ids[-1] == "k-0999" and len(last.device_ids) == 50
    assert footer(last, ()) == "rows 951-1000 of 1000 kiosks, page 20 of 20; --all for every row"
    assert len(listing(_fleet(), limit=None).device_ids) == 1000 and footer(listing(_fleet(), limit=None), ()) == ""


def test_only_narrows_to_kiosks_having_every_condition_given():
    offline = listing(_fleet(), (Condition.OFFLINE,), limit=None)
    assert offline.matching == 100 and all(int(d[2:]) % 10 == 0 for d in offline.device_ids)
    both = listing(_fleet(), (Condition.OFFLINE, Condition.OUTDATED), limit=None)
    assert both.device_ids == [f"k-{i:04d}" for i in range(0, 1000, 40)]
    failing = listing(_fleet(), (Condition.FAILING,), limit=10)
    assert failing.matching == 41 and "k-0008" in failing.device_ids          # settings refused counts
    assert footer(failing, (Condition.FAILING,)).startswith("rows 1-10 of 41 kiosks (failing), page 1 of 5; --page 2")
    alerts = listing(_fleet(), (Condition.ALERTS,))
    assert alerts.device_ids == ["k-0007"] and footer(alerts, (Condition.ALERTS,)) == \
        "rows 1-1 of 1 kiosks (alerts), page 1 of 1"
    none = listing({d: v for d, v in _fleet(30).items() if v.online}, (Condition.OFFLINE,))
    assert none.device_ids == [] and footer(none, (Condition.OFFLINE,)) == "no kiosks (offline)"


def test_a_version_that_does_not_parse_is_not_called_outdated():
    views = {"a": DeviceView("a", {"online": True}, {"versions": {"voice": "nightly"}}),
             "b": DeviceView("b", {"online": True}, {"versions": {"voice": "1.0.0"}})}
    assert listing(views, (Condition.OUTDATED,)).device_ids == []


@pytest.mark.parametrize("page,limit,error", [(0, 50, "--page 0: expected a page number from 1"),
                                              (21, 50, "--page 21: there are 20 pages of 50 rows"),
                                              (1, 0, "--limit 0: expected a number of rows of at least 1")])
def test_a_page_that_is_not_there_is_named(page, limit, error):
    with pytest.raises(ValueError, match=error):
        listing(_fleet(), page=page, limit=limit)
