"""The Content area in a real browser (headless Chromium from Debian, Selenium), with the kiosk's own
voice and renderer: log in, start a draft of the mall-demo pack, edit an answer, see the `content check`
error appear at the field and go when it is fixed, ask the question in Try it and get the new answer
with its audio and the avatar's frames, build the signed bundle, hand it to a rollout and push it to two
simulated kiosks on a real Mosquitto, which commit it. With EDGE_AVATAR_SCREENSHOTS=DIR set (as for
tests/test_console_browser.py), the pages are saved as PNGs there (docs/images)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from tests.console_fixtures import *  # noqa: F401,F403
from tests.console_fixtures import browser_login, live_console, page_wait, simulated_kiosks, wait_for

SHOTS = os.environ.get("EDGE_AVATAR_SCREENSHOTS")
ANSWER = '[data-path="intents[9].answer.en"]'
ERROR = '.field-error[data-for="intents[9].answer.en"]'


def _shot(driver, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"console-content-{name}.png"))


def _replace(element, text: str) -> None:
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(text)


@pytest.fixture
def mqtt_console(console_settings, console_broker):
    """The console on a real broker (the Fleet area's service), with the kiosk's voice and renderer."""
    from runtime.console.app import create_app
    from runtime.console.fleet_area.service import open_fleet_service
    console_settings.data_dir.mkdir(parents=True, exist_ok=True)
    fleet = open_fleet_service(console_broker)
    app = create_app(console_settings, fleet=fleet)
    yield app
    fleet.close()
    app.extensions["console_db"].dispose()


def test_edit_check_try_bundle_and_push_in_the_browser(mqtt_console, console_broker, browser, tmp_path, request):
    """On SQLite and on a real PostgreSQL (console_db_url's two parameters), as CI runs it."""
    from fleet.bundle_keys import generate_keypair
    from runtime.console.audit import utcnow
    from runtime.console.auth.roles import Role
    from runtime.console.auth.users import add_user
    from tests.console_fixtures import PASSWORD
    console_app = mqtt_console
    with console_app.extensions["console_db"].sessions() as s, s.begin():
        add_user(s, "mei", PASSWORD, Role.ADMIN, utcnow())
    key, pub = generate_keypair(tmp_path / "fleet-admin")
    trusted = console_app.config["CONSOLE_SETTINGS"].data_dir / "trusted-keys"
    trusted.mkdir()
    (trusted / "fleet-admin.pub").write_bytes(pub.read_bytes())
    # a page being replaced (a form posted) is waited through, not failed on
    wait = page_wait(browser, 60)
    # each database's run has its own kiosks: the module's broker keeps the other run's retained state
    group = "mall" if request.node.callspec.params["console_db_url"] == "sqlite" else "mallpg"
    with live_console(console_app) as base, simulated_kiosks(console_broker, 2, group) as sim:
        browser_login(browser, base, "mei")
        browser.get(f"{base}/content/")
        browser.find_element(By.ID, "new-name").send_keys("sunshine")
        browser.find_element(By.ID, "new-template").send_keys("mall-demo")
        _shot(browser, "packs")
        browser.find_element(By.ID, "new-submit").click()

        answer = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ANSWER)))
        assert "sixth floor" in answer.get_attribute("value")
        browser.find_element(By.ID, "find").send_keys("cinema")
        wait.until(lambda d: d.find_element(By.ID, "find-count").text.endswith(" intents"))
        assert answer.is_displayed() and not browser.find_element(By.ID, "intent-0").is_displayed()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", answer)
        _replace(answer, "[dance] The cinema has moved to the seventh floor.")
        wait.until(lambda d: "cues from" in d.find_element(By.CSS_SELECTOR, ERROR).text)
        assert "has-problem" in answer.get_attribute("class")
        assert browser.find_element(By.ID, "problem-count").text.startswith("1 ")
        assert browser.find_element(By.ID, "problem-intents").text == "⚠ cinema"
        _shot(browser, "editor-problem")
        _replace(answer, "[smile] The cinema has moved to the seventh floor.")
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ERROR).text == "")
        wait.until(lambda d: d.find_element(By.ID, "save-state").text == "saved")
        assert browser.find_element(By.ID, "problem-count").text.startswith("0 ")

        browser.refresh()        # the draft is in the database: the edit is still there
        answer = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ANSWER)))
        assert answer.get_attribute("value") == "[smile] The cinema has moved to the seventh floor."

        browser.find_element(By.ID, "try-question").send_keys("Where is the cinema?")
        browser.find_element(By.ID, "try-ask").click()
        wait.until(lambda d: d.find_element(By.ID, "try-answer").text.startswith("The cinema has moved"))
        assert browser.find_element(By.ID, "try-intent").text == "cinema"
        assert float(browser.find_element(By.ID, "try-confidence").text) >= 0.5
        audio = browser.find_element(By.ID, "try-audio")
        assert audio.get_attribute("src").startswith("data:audio/wav;base64,")
        frame = browser.find_element(By.ID, "try-frame")
        assert frame.get_attribute("src").startswith("data:image/png;base64,")
        assert int(frame.get_attribute("data-frames")) >= 15
        assert "piper" in browser.find_element(By.ID, "try-voice").text
        _shot(browser, "try-it")

        browser.get(f"{base}/content/d/sunshine/coverage")
        wait.until(EC.presence_of_element_located((By.ID, "left-out-score")))
        browser.find_element(By.ID, "tests-questions").send_keys("can I watch a film here\nis there a kite shop")
        browser.find_element(By.ID, "tests-expected").send_keys("cinema")
        browser.find_element(By.ID, "tests-add").click()
        wait.until(lambda d: "of 2 land" in d.find_element(By.ID, "tests-score").text)
        _shot(browser, "coverage")

        browser.get(f"{base}/content/d/sunshine/bundle")
        browser.find_element(By.ID, "bundle-version").send_keys("2.0.0")
        browser.find_element(By.ID, "bundle-owner").send_keys("Sunshine Place Mall Co.")
        browser.find_element(By.ID, "bundle-key").send_keys(str(key))
        browser.find_element(By.ID, "bundle-build").click()
        built = wait.until(EC.presence_of_element_located((By.ID, "bundle-built")))
        assert "content-mall-demo-2.0.0.bundle" in built.text
        link = browser.find_element(By.ID, "to-rollout").get_attribute("href")
        assert link.endswith("/fleet/rollouts/new?bundle=content-mall-demo-2.0.0.bundle")
        assert not browser.find_elements(By.ID, "bundle-trust")      # the console trusts the key
        _shot(browser, "bundle")

        feed = console_app.extensions["console_fleet"].feed
        wait_for(lambda: sum(1 for r in feed.snapshot()[1].values() if group in r["groups"]) == 2,
                 what="both simulated kiosks seen")
        browser.find_element(By.ID, "to-rollout").click()
        group_field = wait.until(EC.presence_of_element_located((By.ID, "group")))
        assert "content-mall-demo-2.0.0.bundle" in browser.find_element(By.ID, "rollout-form").text
        group_field.send_keys(group)
        _replace(browser.find_element(By.ID, "waves"), "100")
        browser.find_element(By.ID, "push").click()
        wait.until(EC.alert_is_present()).accept()
        wait.until(lambda d: "/fleet/rollouts/new" not in d.current_url)
        rollout_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
        # the rollout page itself, updated live, shows both kiosks committed and the rollout complete
        devices = [f"{group}-{i:04d}" for i in range(2)]
        wait = page_wait(browser, 180)
        wait.until(lambda d: d.find_element(By.ID, "rollout-state").text == "complete")
        for device in devices:
            cell = browser.find_element(By.CSS_SELECTOR, f'#rollout-devices tr[data-device="{device}"] td.install')
            assert cell.text == "committed", (device, cell.text)
        manager = console_app.extensions["console_rollouts"]
        manager.wait(rollout_id, 180)
        assert manager.get(rollout_id)["state"] == "complete", manager.get(rollout_id)
        assert all(k.state.versions().get("content") == "2.0.0" for k in sim.kiosks)
    bundles = console_app.config["CONSOLE_SETTINGS"].data_dir / "bundles"
    assert "content-mall-demo-2.0.0.bundle" in [p.name for p in bundles.iterdir()]


@pytest.fixture
def browser_with_microphone(tmp_path):
    """Headless Chromium whose microphone plays a WAV file (Chromium's fake capture device): the kiosk's
    demo question, "What time does the museum open?"."""
    from runtime.composition.config import DEFAULT_CONTENT
    from tests.console_fixtures import chromium_paths, missing_tool
    chrome, driver_path = chromium_paths()
    if not (chrome and driver_path):
        missing_tool("chromium / chromedriver absent: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1400,900", f"--user-data-dir={tmp_path / 'chromium-mic'}",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={Path(DEFAULT_CONTENT) / 'demo_question.wav'}",
                "--autoplay-policy=no-user-gesture-required"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.parametrize("console_db_url", [None], ids=["sqlite"])
def test_a_question_spoken_into_the_browser_microphone_is_heard_by_the_kiosk_recogniser(
        console_app, make_user, browser_with_microphone):
    browser = browser_with_microphone
    make_user("li", "editor")
    wait = page_wait(browser, 120)
    with live_console(console_app) as base:
        browser_login(browser, base, "li")
        browser.get(f"{base}/content/")
        browser.find_element(By.ID, "new-name").send_keys("museum")
        browser.find_element(By.ID, "new-template").send_keys("science-museum")
        browser.find_element(By.ID, "new-submit").click()
        wait.until(EC.presence_of_element_located((By.ID, "try-mic")))
        browser.find_element(By.ID, "try-lang").send_keys("en")
        browser.find_element(By.ID, "try-speak").click()          # words only: the voice is tested above
        mic = browser.find_element(By.ID, "try-mic")
        mic.click()
        # the fake device plays the 3.3 s question (and then again): record one pass and a pause
        wait.until(lambda d: float(d.find_element(By.ID, "try-mic").get_attribute("data-seconds") or 0) >= 4.0)
        mic.click()
        wait.until(lambda d: d.find_element(By.ID, "try-heard").text.strip()
                   or d.find_element(By.CSS_SELECTOR, '.field-error[data-for="try-mic"]').text)
        assert browser.find_element(By.CSS_SELECTOR, '.field-error[data-for="try-mic"]').text == ""
        assert "museum open" in browser.find_element(By.ID, "try-heard").text.lower()
        assert browser.find_element(By.ID, "try-intent").text == "opening_hours"
