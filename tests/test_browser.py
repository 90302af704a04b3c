"""The app in a real browser: ``streamlit run`` on loopback, headless Chromium, one upload.

AppTest (tests/test_app.py) runs the page's Python without a browser; this test checks the
rest: the server starts, the page loads and renders, the file input accepts a scan, and the
prediction and the overlay appear. It saves a screenshot under pytest's tmp folder; with
``MRI_COURSE_REFRESH_SCREENSHOT=1`` (and the shipped CNN on a real scan) it also replaces
``docs/app_screenshot.png``, the README's picture, so a plain test run leaves the checkout
as it was.

It uses Debian's ``chromium`` and ``chromium-driver`` through Selenium's client, and skips,
saying why, only where they are not installed (``.ci/run`` installs them when it can).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_models import fast_models_dir
from bad_scans import scan_png

from mri_course.data.locate import find_dataset_root
from mri_course.training.registry import SHIPPED_CNN

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "streamlit_app.py"
SCREENSHOT = ROOT / "docs" / "app_screenshot.png"
REFRESH_ENV = "MRI_COURSE_REFRESH_SCREENSHOT"  # =1: also replace the README's picture
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
SERVER_START_S = 90
PAGE_WAIT_S = 180  # the first run imports TensorFlow and compiles the model
LABELS = ("Glioma", "Meningioma", "No tumour", "Pituitary tumour", "Not trusted")

missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"no browser to drive: {', '.join(missing)} missing (Debian: apt-get install "
    "chromium chromium-driver; .ci/run does this when it can)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not answer in {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def _real_scan() -> Path | None:
    """A real test scan when MRI_COURSE_DATA points at the dataset (for a true screenshot)."""
    value = os.environ.get("MRI_COURSE_DATA", "").strip()
    root = find_dataset_root(Path(value)) if value else None
    if root is None:
        return None
    scans = sorted((root / "Testing" / "meningioma").glob("*.jpg"))
    return scans[len(scans) // 3] if scans else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run`` on a free loopback port: the shipped CNN when there is one (as on a
    fresh clone), else the fast profile's models trained for the tests."""
    folder = tmp_path_factory.mktemp("browser")
    env = dict(os.environ)
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "MRI_COURSE_GEMINI_BASE_URL"):
        env.pop(name, None)
    if SHIPPED_CNN.is_file():
        env.update(MRI_COURSE_PROFILE="cpu", MRI_COURSE_MODELS=str(folder / "no-models-yet"))
    else:
        env.update(MRI_COURSE_PROFILE="fast", MRI_COURSE_MODELS=str(fast_models_dir()))
    port = _free_port()
    log = folder / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process, log)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.add_argument("--window-size=1440,1800")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


LOADED_IMAGES = """
return Array.from(document.querySelectorAll('[data-testid="stImage"] img'))
    .filter(img => img.complete && img.naturalWidth > 0).length;
"""
PAGE_HEIGHT = """
const main = document.querySelector('[data-testid="stMain"]') || document.body;
return main.scrollHeight;
"""


def test_a_scan_uploaded_in_chromium_gets_a_prediction_and_an_overlay(server, browser, tmp_path):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    url, log = server
    scan = _real_scan()
    if scan is None:
        scan = tmp_path / "synthetic_meningioma.png"
        scan.write_bytes(scan_png(256, "meningioma", seed=2))
    browser.get(url)
    wait = WebDriverWait(browser, PAGE_WAIT_S)
    try:
        file_input = wait.until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, 'input[type="file"]'))
        )
        file_input.send_keys(str(scan))
        wait.until(
            lambda driver: any(
                element.text.strip() in LABELS
                for element in driver.find_elements(
                    By.CSS_SELECTOR, '[data-testid="stMetricValue"]'
                )
            )
        )
        wait.until(lambda driver: driver.execute_script(LOADED_IMAGES) >= 2)
        wait.until(
            lambda driver: any(
                "report (JSON)" in button.text
                for button in driver.find_elements(By.CSS_SELECTOR, "button")
            )
        )
    except TimeoutException:
        shot = tmp_path / "timeout.png"
        browser.save_screenshot(str(shot))
        pytest.fail(
            f"no prediction and overlay within {PAGE_WAIT_S} s (screenshot: {shot}); server "
            f"log:\n{log.read_text()[-3000:]}"
        )
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "not a diagnostic device" in page
    assert "Traceback" not in page
    assert "Colour legend" in page
    time.sleep(1.0)  # let the chart finish its transition
    height = int(browser.execute_script(PAGE_HEIGHT))
    browser.set_window_size(1440, min(max(height + 120, 1200), 4000))
    time.sleep(0.5)
    shot = tmp_path / "app_screenshot.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    refresh = os.environ.get(REFRESH_ENV) == "1"
    if refresh and SHIPPED_CNN.is_file() and scan.parent.name != tmp_path.name:
        # The README's picture: the app as a fresh clone runs it, on a real test scan.
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
    print(f"screenshot: {shot}")
