"""Smoke: the browser fixture logs in and the devices table fills from the live feed (fake fleet)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from fleet.admin import DeviceView
from tests.console_fixtures import *
from tests.console_fixtures import browser_login, live_console


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_browser_logs_in_and_the_table_updates_live(console_app, make_user, browser, fake_fleet):
    make_user("ann", "viewer")
    fake_fleet.set_views({"k1": DeviceView("k1", {"online": True, "site": "mall", "groups": ["g"]})})
    with live_console(console_app) as base:
        browser_login(browser, base, "ann")
        browser.get(f"{base}/fleet/")
        wait = WebDriverWait(browser, 30)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#devices tr[data-device='k1']"))
        fake_fleet.set_views({"k1": DeviceView("k1", {"online": True, "site": "mall", "groups": ["g"]}),
                              "k2": DeviceView("k2", {"online": False, "site": "museum", "groups": ["g"]})})
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#devices tr[data-device='k2']"))
