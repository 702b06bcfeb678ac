"""The sign-in and consent pages in a real browser: headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium) opens an authorize URL, a person's steps are typed and clicked
(user name, password, Accept), and the browser lands on the redirect URI with a code that MSAL
Python then redeems. Also checks that the pages work without JavaScript and frame nothing."""

from __future__ import annotations

import shutil
from urllib.parse import parse_qs, urlsplit

import jwt
import msal
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import browser_sign_in
from interactive import SCOPE_VALUE, WEB_REDIRECT, Interactive

WAIT_S = 30


@pytest.fixture
def browser(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "chromium and chromium-driver are required (.ci/run installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--ignore-certificate-errors", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


def _landed(driver: webdriver.Chrome) -> bool:
    return driver.current_url.startswith(WEB_REDIRECT)


def test_a_person_signs_in_and_consents_in_chromium(interactive: Interactive, browser: webdriver.Chrome) -> None:
    i = interactive
    app = msal.ConfidentialClientApplication(
        i.web_app_id, client_credential=i.web_secret, authority=i.authority(),
        instance_discovery=False, verify=i.world.ca_path,
    )
    flow = app.initiate_auth_code_flow([i.scope], redirect_uri=WEB_REDIRECT, prompt="login")
    browser.get(flow["auth_uri"])
    # The consent page comes unless this user consented in an earlier test.
    browser_sign_in.sign_in_and_consent(browser, i.upn, i.password, _landed)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(browser.current_url).query).items()}
    assert answer.get("state") == flow["state"] and "code" in answer, browser.current_url
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["scp"] == SCOPE_VALUE and claims["oid"] == i.user_id


def test_the_sign_in_page_needs_no_script_and_cannot_be_framed(interactive: Interactive, browser: webdriver.Chrome) -> None:
    i = interactive
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    app = msal.ConfidentialClientApplication(
        i.web_app_id, client_credential=i.web_secret, authority=i.authority(),
        instance_discovery=False, verify=i.world.ca_path,
    )
    flow = app.initiate_auth_code_flow([i.scope], redirect_uri=WEB_REDIRECT, prompt="login")
    browser.get(flow["auth_uri"])
    browser.find_element(By.NAME, "login").send_keys(i.upn)
    browser.find_element(By.NAME, "passwd").send_keys("Wrong-passw0rd")
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: "50126" in d.page_source)
    assert not _landed(browser)
    # A page of another origin cannot frame the sign-in page (frame-ancestors 'none', X-Frame-Options).
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    browser.get("data:text/html,<iframe id=f src='" + flow["auth_uri"] + "'></iframe>")
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_elements(By.ID, "f"))
    browser.switch_to.frame(browser.find_element(By.ID, "f"))
    assert not browser.find_elements(By.NAME, "login"), "the sign-in form rendered inside a frame"
