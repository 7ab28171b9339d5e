"""A real browser (headless Chromium from the Debian packages, driven by Selenium) uses the
search page as a person would: type a query, see results, click a role facet, open a record,
see its related questions; page text holding <script> shows as text.

Skipped only when Chromium is absent outside CI; under CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
from typing import Iterator

import pytest

from healthqa.serve.settings import ServeSettings
from tests.serve.conftest import running

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

if not (CHROMIUM and DRIVER) and not os.environ.get("CI"):
    pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver; "
                ".ci/run installs them)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM and DRIVER, "CI needs the Debian packages chromium and chromium-driver (see .ci/run)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="healthqa-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site(corpus_dir: pathlib.Path) -> Iterator[str]:
    with running(ServeSettings(data_dir=str(corpus_dir))) as url:
        yield url


def _follow(browser, element) -> None:
    """Click a link or button and wait until the next page has replaced this one (a click
    returns before the navigation it starts has always finished)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.expected_conditions import staleness_of
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 60).until(staleness_of(page))


def test_search_facet_record_related_as_a_person_would(browser, site, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(site + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys("exercise after heart attack")
    _follow(browser, browser.find_element(By.ID, "go"))
    questions = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".hit a.question")]
    assert questions and questions[0] == "How soon can I exercise after a heart attack?"
    assert browser.find_element(By.ID, "total").text.endswith("shown.")
    # The README's picture: HEALTHQA_SCREENSHOT=1 writes it into docs/ (a test run leaves the tree alone).
    shot = (DOCS if os.environ.get("HEALTHQA_SCREENSHOT") else tmp_path) / "search-page.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes().startswith(b"\x89PNG")

    _follow(browser, browser.find_element(By.CSS_SELECTOR, '#facet-role a[data-value="Fitness"]'))
    roles = [[r.text for r in hit.find_elements(By.CSS_SELECTOR, ".meta .role")]
             for hit in browser.find_elements(By.CSS_SELECTOR, ".hit")]
    assert roles and all("Fitness" in r for r in roles) and len(roles) < len(questions)
    assert "role=Fitness" in browser.current_url

    _follow(browser, browser.find_element(By.CSS_SELECTOR, ".hit a.question"))
    assert browser.find_element(By.ID, "question").text
    answers = browser.find_elements(By.CSS_SELECTOR, ".answer")
    assert answers and any(a.find_elements(By.CSS_SELECTOR, ".role") for a in answers)
    related = browser.find_elements(By.CSS_SELECTOR, "#related li a")
    assert related
    first = related[0].text
    _follow(browser, related[0])
    assert browser.find_element(By.ID, "question").text == first


def test_script_in_page_text_is_shown_as_text(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/?q=inhaler")
    snippet = browser.find_element(By.CSS_SELECTOR, ".hit .snippet").text
    assert "<script>alert(1)</script>" in snippet
    browser.get(site + "/records/asthma-inhaler")
    assert "<script>alert(1)</script>" in browser.find_element(By.CSS_SELECTOR, ".answer .text").text
    assert "<b>helps</b>" in browser.find_element(By.CSS_SELECTOR, ".answer .text").text
    assert browser.execute_script("return document.scripts.length") == 0
