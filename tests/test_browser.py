"""The back office in a real browser: Debian's headless Chromium driven by Selenium
against gunicorn. Without the browser these tests fail (``make test`` installs it).

One scenario, two browsers (the machine is small): sign in, search, open a product,
thumbnails load at 256, edit the description and read it back through the XML API,
upload a photo, a second session sees the lock and cannot edit, sign out. It writes
the README's screenshots on the way."""

from __future__ import annotations

import base64
import contextlib
import urllib.request
from pathlib import Path

import pytest
from lxml import etree
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import USERS
from tests.images import jpeg
from xmlapi.catalog import demo
from xmlapi.db import session_scope

pytestmark = pytest.mark.server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
DESKTOP, PHONE = (1280, 900), (375, 800)
FLAGS = (
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


@contextlib.contextmanager
def chromium(profile: Path):
    """A headless Chromium with a fresh profile; fails when the browser is missing."""
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "Browser tests need Debian's chromium and chromium-driver: run `make browser`."
    )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_window_size(*DESKTOP)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver, base: str, user: str) -> None:
    driver.get(base + "/catalog/")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in"
    driver.find_element(By.ID, "name").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(USERS[user])
    driver.find_element(By.CSS_SELECTOR, "form.signin button").click()
    wait(driver).until(expected_conditions.presence_of_element_located((By.ID, "products")))


def wait(driver, seconds: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def natural_widths(driver, selector: str) -> list[int]:
    """The natural widths of the images, once every one has loaded."""
    script = (
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(i => i.complete ? i.naturalWidth : -1)"
    )
    wait(driver).until(lambda d: all(w >= 0 for w in d.execute_script(script, selector)))
    return driver.execute_script(script, selector)


def screenshot(driver, name: str) -> None:
    """``name``.png at the desktop width and ``name``-375.png at a phone's."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for size, suffix in ((DESKTOP, ""), (PHONE, "-375")):
        driver.set_window_size(*size)
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= max(size[0], driver.execute_script("return window.innerWidth")), name
        driver.save_screenshot(str(SCREENSHOTS / f"{name}{suffix}.png"))
    driver.set_window_size(*DESKTOP)


def api(base: str, path: str, method: str = "GET", data: bytes | None = None, **headers):
    """A call to the XML API with alice's Basic credentials."""
    credentials = base64.b64encode(f"alice:{USERS['alice']}".encode()).decode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Basic {credentials}", **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return etree.fromstring(response.read())


@pytest.fixture
def site(serve, engine, tmp_path):
    """gunicorn on the demo catalog, with a photo on its first product."""
    with session_scope(engine) as session:
        demo.load(session)
    base = serve(workers=1, threads=4)
    products = api(base, "/api/products/?order_by=code:asc")
    first = int(products[0].get("id"))
    api(base, f"/api/products/{first}/", "LOCK")
    api(
        base,
        f"/api/products/{first}/add_product_photo/",
        "POST",
        jpeg((900, 600)),
        **{"Content-Type": "image/jpeg"},
    )
    api(base, f"/api/products/{first}/", "UNLOCK")
    return base


def test_a_person_finds_edits_and_illustrates_a_product(site, tmp_path):
    with chromium(tmp_path / "one") as alice, chromium(tmp_path / "two") as bob:
        alice.get(site + "/api/")
        assert "API reference" not in alice.page_source  # who asks must be known first
        sign_in(alice, site, "alice")
        alice.get(site + "/api/")
        assert alice.find_element(By.TAG_NAME, "h1").text == "API reference"
        screenshot(alice, "reference")

        alice.get(site + "/catalog/")
        assert natural_widths(alice, "img.thumb") == [256]
        screenshot(alice, "list")
        search = alice.find_element(By.ID, "search")
        search.send_keys("OXFORD")
        search.submit()
        wait(alice).until(expected_conditions.url_contains("search=OXFORD"))
        found = alice.find_elements(By.CSS_SELECTOR, "#products tbody tr")
        assert found and all("Oxford" in row.text for row in found)
        found[0].find_element(By.TAG_NAME, "a").click()
        wait(alice).until(expected_conditions.presence_of_element_located((By.ID, "fields")))
        product_url = alice.current_url
        product_id = int(product_url.rstrip("/").rsplit("/", 1)[1])

        # edit: the lock is taken, the description saved, read back through the XML API
        alice.find_element(By.ID, "edit").click()
        description = wait(alice).until(
            expected_conditions.presence_of_element_located((By.ID, "description"))
        )
        description.clear()
        description.send_keys("Oxford shirt, edited in a browser")
        alice.find_element(By.ID, "save").click()
        wait(alice).until(expected_conditions.url_to_be(product_url))
        stored = api(site, f"/api/products/{product_id}/")
        assert stored.findtext("description") == "Oxford shirt, edited in a browser"

        # a photo from the file picker, sent as raw bytes
        alice.find_element(By.ID, "edit").click()
        picker = wait(alice).until(
            expected_conditions.presence_of_element_located((By.ID, "photo-file"))
        )
        photo = tmp_path / "shirt.jpg"
        photo.write_bytes(jpeg((1200, 800)))
        picker.send_keys(str(photo))
        wait(alice).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".photos img"))
        assert natural_widths(alice, ".photos img") == [256]
        photos = api(site, f"/api/products/{product_id}/product_photos/")
        assert [p.findtext("source_name") for p in photos] == ["shirt.jpg"]

        # a second session sees who holds the lock, and gets no edit button
        sign_in(bob, site, "bob")
        bob.get(product_url)
        notice = bob.find_element(By.ID, "lock-notice").text
        assert notice.startswith("Locked by alice until")
        assert bob.find_elements(By.ID, "edit") == []

        alice.find_element(By.ID, "cancel").click()
        wait(alice).until(expected_conditions.url_to_be(product_url))
        assert natural_widths(alice, "img.photo-thumb") == [256]
        screenshot(alice, "product")
        bob.get(product_url)
        assert bob.find_elements(By.ID, "edit") != []

        alice.find_element(By.CSS_SELECTOR, "form.signout button").click()
        wait(alice).until(expected_conditions.url_contains("/catalog/sign-in/"))
        alice.get(site + "/catalog/")
        assert alice.find_element(By.TAG_NAME, "h1").text == "Sign in"
