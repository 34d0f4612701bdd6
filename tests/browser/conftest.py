"""Playwright with Debian's chromium. Never downloads a browser; skips where chromium is absent.

Pages are served by pytest-django's ``live_server`` (a real threaded HTTP server on localhost).
Screenshots of each journey go to ``bench/out/screens/`` so a person can look at them.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    # A fake microphone (a beep), granted without asking: the voice-note appeal records with it. One browser for
    # the whole session (a second sync_playwright in the same run is refused), so the flags are everyone's;
    # pages that never ask for the microphone are not touched by them.
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]
SCREENS = Path(__file__).resolve().parents[2] / "bench" / "out" / "screens"
PHONE = {"width": 360, "height": 640}

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"chromium not found at {CHROMIUM}: install Debian's chromium (CI does) to run browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: run `make test` (it installs requirements-test.txt)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone(browser, live_server):
    """A fresh 360×640 phone page (WeChat-sized) with ``page.url_for(path)``."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN",
                                  user_agent="Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.url_for = lambda path: live_server.url + path
    yield page
    context.close()


def screenshot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
