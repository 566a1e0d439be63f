"""The console in a real browser (Debian's headless Chromium through Selenium), against a real
Mosquitto and simulated kiosks: log in, watch kiosks appear live, send a command, push a signed
bundle to two kiosks and watch both commit; a viewer cannot push; a POST without the CSRF token is
refused. With EDGE_AVATAR_SCREENSHOTS=DIR set, each area is saved as a PNG there (docs/images)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.console_fixtures import *  # noqa: F403
from tests.console_fixtures import PASSWORD, browser_login, live_console, page_wait, simulated_kiosks
from tests.fleet_fixtures import keys, panel_bundle

pytestmark = pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
SHOTS = os.environ.get("EDGE_AVATAR_SCREENSHOTS")


def shot(driver, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"console-{name}.png"))


@pytest.fixture
def served(console_settings, console_broker):
    from runtime.console.app import create_app
    from runtime.console.fleet_area.service import open_fleet_service
    console_settings.data_dir.mkdir(parents=True, exist_ok=True)
    fleet = open_fleet_service(console_broker)
    app = create_app(console_settings, fleet=fleet)
    with live_console(app) as base:
        yield app, base
    fleet.close()
    app.extensions["console_db"].dispose()


def _user(app, name: str, role: str) -> str:
    from runtime.console.audit import utcnow
    from runtime.console.auth.roles import Role
    from runtime.console.auth.users import add_user
    with app.extensions["console_db"].sessions() as s, s.begin():
        add_user(s, name, PASSWORD, Role.parse(role), utcnow())
    return name


def _rows(driver, group: str) -> dict[str, str]:
    """device -> its online cell, for the rows of `group` in the devices table."""
    out = {}
    for tr in driver.find_elements(By.CSS_SELECTOR, "#devices tbody tr"):
        cells = tr.find_elements(By.TAG_NAME, "td")
        if len(cells) > 3 and group in cells[2].text:
            out[tr.get_attribute("data-device")] = cells[3].text
    return out


def _confirm(driver) -> None:
    WebDriverWait(driver, 30).until(EC.alert_is_present())
    driver.switch_to.alert.accept()


def test_admin_watches_kiosks_arrive_sends_a_command_and_pushes_a_bundle_to_two(served, browser, console_broker,
                                                                               tmp_path):
    app, base = served
    wait = page_wait(browser, 90)   # live parts redraw
    key, pub, _ = keys(tmp_path)
    (app.config["CONSOLE_SETTINGS"].data_dir / "trusted-keys").mkdir()
    (app.config["CONSOLE_SETTINGS"].data_dir / "trusted-keys" / "admin.pub").write_bytes(pub.read_bytes())
    bundle = panel_bundle(tmp_path, key, "5.0.0")
    browser.get(f"{base}/login")
    shot(browser, "login")
    browser_login(browser, base, _user(app, "ada", "admin"))
    browser.get(f"{base}/fleet/")
    wait.until(lambda d: d.find_element(By.ID, "live").text == "live")
    group = f"b{uuid.uuid4().hex[:5]}"
    with simulated_kiosks(console_broker, 2, group, telemetry_interval_s=1.0) as sim:
        ids = sorted(k.core.id.device_id for k in sim.kiosks)
        # the page was open before the kiosks started: they appear without a reload
        wait.until(lambda d: _rows(d, group) == {ids[0]: "online", ids[1]: "online"})
        browser.find_element(By.ID, "q").send_keys(group)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#devices tbody tr")) == 2)
        shot(browser, "devices")

        browser.get(f"{base}/fleet/device/{ids[0]}")
        browser.find_element(By.ID, "say-text").send_keys("Welcome to the mall")
        browser.find_element(By.ID, "cmd-say").click()
        _confirm(browser)
        wait.until(lambda d: "200 simulated say" in d.find_element(By.ID, "replies").text)
        wait.until(lambda d: "samples" in d.find_element(By.ID, "charts").text
                   and d.find_element(By.CSS_SELECTOR, "#charts polyline"))
        browser.execute_script("window.scrollTo(0, 0)")
        shot(browser, "device")

        browser.get(f"{base}/fleet/rollouts/new")
        browser.find_element(By.ID, "bundle").send_keys(str(bundle))
        from selenium.webdriver.support.ui import Select
        Select(browser.find_element(By.ID, "group")).select_by_visible_text(group)
        browser.find_element(By.ID, "waves").clear()
        browser.find_element(By.ID, "waves").send_keys("50,100")
        shot(browser, "rollout-new")
        browser.find_element(By.ID, "push").click()
        _confirm(browser)
        wait.until(lambda d: d.find_element(By.ID, "rollout-state").text == "complete")
        states = browser.execute_script("""return Object.fromEntries([...document.querySelectorAll(
            "#rollout-devices tbody tr")].map((tr) => [tr.dataset.device, tr.cells[1].textContent]));""")
        assert states == {ids[0]: "committed", ids[1]: "committed"}
        assert all(k.state.versions().get("panel") == "5.0.0" for k in sim.kiosks)
        shot(browser, "rollout")
        browser.get(f"{base}/fleet/")
        wait.until(lambda d: "panel 5.0.0" in d.find_element(By.ID, "devices").text)
        browser.get(f"{base}/audit")
        assert "rollout.start" in browser.find_element(By.ID, "audit").text
        shot(browser, "audit")


def _post_from_page(driver, url: str, with_token: bool) -> int:
    """A state-changing fetch() from the page, with or without the CSRF header: its HTTP status."""
    return driver.execute_async_script("""
        const [url, withToken, done] = arguments;
        const headers = withToken ? {"X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content} : {};
        fetch(url, {method: "POST", headers, credentials: "same-origin"}).then((r) => done(r.status));
    """, url, with_token)


def test_a_viewer_cannot_push_and_a_post_without_the_csrf_token_is_refused(served, browser, console_broker):
    app, base = served
    browser_login(browser, base, _user(app, "vic", "viewer"))
    group = f"v{uuid.uuid4().hex[:5]}"
    with simulated_kiosks(console_broker, 1, group) as sim:
        device = sim.kiosks[0].core.id.device_id
        browser.get(f"{base}/fleet/rollouts/")
        assert not browser.find_elements(By.ID, "new-rollout")
        WebDriverWait(browser, 60).until(lambda d: (d.get(f"{base}/fleet/device/{device}"), "404" not in d.title
                                                    and d.find_elements(By.ID, "panel"))[1])
        assert not browser.find_elements(By.ID, "commands")
        assert _post_from_page(browser, f"{base}/fleet/rollouts/new", with_token=True) == 403
        assert _post_from_page(browser, f"{base}/fleet/device/{device}/command/restart", with_token=True) == 403
    admin = _user(app, "ann", "admin")
    browser.delete_all_cookies()
    browser_login(browser, base, admin)
    assert _post_from_page(browser, f"{base}/fleet/device/{device}/command/restart", with_token=False) == 400
    assert _post_from_page(browser, f"{base}/logout", with_token=False) == 400
    browser.get(f"{base}/fleet/")
    assert "ann (admin)" in browser.find_element(By.ID, "who").text       # the refused logout did nothing


def test_a_thousand_devices_fill_the_table_and_search_filter_and_sort_work(console_app, make_user, fake_fleet,
                                                                          browser):
    from selenium.webdriver.support.ui import Select

    from fleet.admin import DeviceView
    views = {f"k-{i:04d}": DeviceView(f"k-{i:04d}", {"online": i % 3 != 0, "site": f"site-{i % 20:02d}",
                                                     "groups": ["north" if i < 500 else "south"],
                                                     "versions": {"content": f"1.{i % 4}"}},
                                      {}, {"fps": float(i % 61), "answers_today": i}, 1.0) for i in range(1000)}
    fake_fleet.set_views(views)
    make_user("val", "viewer")
    wait = page_wait(browser, 60)
    count = lambda d: len(d.find_elements(By.CSS_SELECTOR, "#devices tbody tr"))  # noqa: E731
    with live_console(console_app) as base:
        browser_login(browser, base, "val")
        browser.get(f"{base}/fleet/")
        wait.until(lambda d: count(d) == 1000)
        assert browser.find_element(By.ID, "count").text == "1000 shown of 1000 (666 online)"
        Select(browser.find_element(By.ID, "f-group")).select_by_visible_text("south")
        Select(browser.find_element(By.ID, "f-state")).select_by_visible_text("offline")
        wait.until(lambda d: count(d) == 167)                  # i >= 500 and i % 3 == 0
        browser.find_element(By.ID, "q").send_keys("site-07")
        wait.until(lambda d: count(d) == 9)                    # and i % 20 == 7: 507, 567 ... 987
        browser.find_element(By.CSS_SELECTOR, "th[data-key='answers']").click()
        browser.find_element(By.CSS_SELECTOR, "th[data-key='answers']").click()   # descending
        first = browser.find_element(By.CSS_SELECTOR, "#devices tbody tr").get_attribute("data-device")
        assert first == "k-0987"
        views["k-0927"] = DeviceView("k-0927", views["k-0927"].status, {}, {"fps": 12.5, "answers_today": 927}, 2.0)
        fake_fleet.set_views(views)                              # a shown row changes in place
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "tr[data-device='k-0927'] td:nth-child(9)").text == "12.5")
        views["k-0987"] = DeviceView("k-0987", {"online": True, "site": "site-07", "groups": ["south"]}, {}, {}, 2.0)
        fake_fleet.set_views(views)                              # it comes online: the offline filter drops it
        wait.until(lambda d: count(d) == 8)
