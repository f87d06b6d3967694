"""A real browser for the page tests: Debian's chromium and chromedriver, headless.

``.ci/run`` installs both when missing. Each test saves a screenshot under ``var/browser/``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "browser"
WAIT_SECONDS = 15


def chromium() -> WebDriver:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        raise RuntimeError(
            "The browser tests need chromium and chromedriver: apt-get install chromium "
            "chromium-driver (.ci/run does this)."
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where chromium's sandbox refuses to start
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--lang=en",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.implicitly_wait(0)
    return driver


def wait_for(driver: WebDriver, css: str, *, text: str | None = None):
    """The element once visible (and holding ``text``); on a timeout the error shows the page."""
    wait = WebDriverWait(driver, WAIT_SECONDS)
    try:
        if text is not None:
            wait.until(
                expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
            )
        return wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))
    except TimeoutException:
        body = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(
            f"{css!r} (text {text!r}) did not appear at {driver.current_url}; page: {body}"
        ) from None


def log_in(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    driver.get(f"{base_url}/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    # The login page has a "main h1" too: wait until the browser has left it, or the check below
    # may read the old page's heading while it is being replaced (chromedriver then fails with
    # "Node with given id does not belong to the document", which no wait ignores).
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: not d.current_url.startswith(f"{base_url}/accounts/login/")
    )
    wait_for(driver, "main h1")


def screenshot(driver: WebDriver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def file_to_upload(name: str, content: bytes) -> Path:
    """A file on disk for a file input (browsers upload from paths)."""
    path = Path(tempfile.mkdtemp(prefix="s24-browser-")) / name
    path.write_bytes(content)
    return path
