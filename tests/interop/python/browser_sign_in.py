"""Custos' sign-in and consent pages in a real browser (Selenium driving headless Chromium): what
a person does once the browser shows the sign-in page. The HTTP-only twin is sign_in_driver.py."""

from __future__ import annotations

from collections.abc import Callable

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

WAIT_S = 30


def sign_in_and_consent(browser: WebDriver, upn: str, password: str, landed: Callable[[WebDriver], bool]) -> None:
    """Types `upn` and `password` on the sign-in page, accepts the consent page if one comes (a
    user who consented before sees none), and waits until `landed` holds (the app's redirect URI)."""
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_elements(By.NAME, "passwd"))
    assert browser.title == "Sign in to your account", browser.page_source[:2000]
    browser.find_element(By.NAME, "login").send_keys(upn)
    browser.find_element(By.NAME, "passwd").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: landed(d) or d.find_elements(By.NAME, "consent"))
    if not landed(browser):
        accept = [b for b in browser.find_elements(By.NAME, "consent") if b.get_attribute("value") == "accept"]
        assert accept, browser.page_source[:2000]
        accept[0].click()
        WebDriverWait(browser, WAIT_S).until(landed)
