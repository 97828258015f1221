"""Debian's chromium, driven by Selenium (headless), and `tinyml ui` served for it: shared by
the end-to-end browser tests and the README's screenshots."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TINYML = str(Path(sys.executable).with_name("tinyml"))
LAPTOP, PHONE = (1280, 900), (390, 844)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).is_file():
            return f"{path} is not installed: `make install` (apt-get install chromium chromium-driver)"
    return None


@contextlib.contextmanager
def chromium(downloads: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def tinyml_ui(root: Path, timeout_s: float = 120):
    """`tinyml ui --root ROOT` on a free port, as a user starts it; yields its URL."""
    port = _free_port()
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    server = subprocess.Popen([TINYML, "ui", "--root", str(root), "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    raise AssertionError(f"tinyml ui did not start: {server.communicate()[0][-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def visible(driver, css: str) -> list:
    """The elements matching `css` that the browser lays out with a size and shows."""
    found = [e for e in driver.find_elements("css selector", css)
             if e.is_displayed() and e.size["width"] > 0 and e.size["height"] > 0]
    assert found, f"nothing visible matches {css!r} on {driver.current_url}"
    return found


def fits_width(driver) -> bool:
    """No horizontal scrolling of the page itself (wide tables scroll in their own box)."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def wait_for_download(folder: Path, name: str, timeout_s: float = 60) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        path = folder / name
        if path.is_file() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.2)
    raise AssertionError(f"{name} was not downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")


def screenshot(driver, path: Path, size: tuple[int, int] = LAPTOP, full_page: bool = True) -> Path:
    """A PNG of the page at `size` (full height when `full_page`)."""
    height = driver.execute_script("return document.documentElement.scrollHeight") if full_page else size[1]
    driver.set_window_size(size[0], max(size[1], height))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    driver.set_window_size(*size)
    return path


def keep(path: Path) -> None:
    """Also copy a screenshot under build/screenshots/ (CI uploads it as an artifact)."""
    from tinyml.paths import REPO_ROOT

    artifacts = REPO_ROOT / "build" / "screenshots"
    artifacts.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, artifacts / path.name)
