"""Drives custos' sign-in and consent pages the way a person in a browser would, with plain HTTP:
GET the authorize URL, fill the one form (`login`/`passwd` on the sign-in page, `consent=accept`
on the consent page, every hidden input kept), follow redirects, and hand back the parameters
that reach the redirect URI (query, fragment or an auto-posted form_post page).

Owns HTML form parsing and the page loop only; the real-browser run is test_browser_sign_in.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

TIMEOUT_S = 30
MAX_PAGES = 6


@dataclass
class Form:
    """The first `<form>` of a page: where it posts and its named fields."""

    action: str | None = None
    method: str = "get"
    inputs: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and self.form is None:
            self.form = Form(action=values.get("action"), method=values.get("method", "get").lower())
            self._in_form = True
        elif self._in_form and self.form is not None and "name" in values:
            kind = values.get("type", "text" if tag == "input" else "submit").lower()
            if tag == "button" or kind == "submit":
                self.form.buttons.setdefault(values["name"], []).append(values.get("value", ""))
            elif tag == "input":
                self.form.inputs[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def parse_form(html: str) -> Form | None:
    parser = _FormParser()
    parser.feed(html)
    return parser.form


class SignInError(AssertionError):
    """The pages did not lead to the redirect URI."""


def drive(
    authorize_url: str,
    redirect_uri: str,
    username: str,
    password: str,
    ca_path: str,
    session: requests.Session | None = None,
    consent: str = "accept",
) -> dict[str, str]:
    """Signs in (and consents) at `authorize_url`; returns what reaches `redirect_uri`."""
    http = session or requests.Session()
    http.verify = ca_path
    http.trust_env = False
    response = http.get(authorize_url, allow_redirects=False, timeout=TIMEOUT_S)
    for _ in range(MAX_PAGES):
        location = response.headers.get("Location")
        if response.status_code in (301, 302, 303):
            assert location, response.headers
            target = urljoin(response.url, location)
            if target.startswith(redirect_uri):
                parts = urlsplit(target)
                return dict(parse_qsl(parts.query or parts.fragment))
            response = http.get(target, allow_redirects=False, timeout=TIMEOUT_S)
            continue
        form = parse_form(response.text)
        if form is None:
            raise SignInError(f"no form on the page (HTTP {response.status_code}):\n{response.text[:2000]}")
        action = urljoin(response.url, form.action or response.url)
        fields = dict(form.inputs)
        if action.startswith(redirect_uri):
            return fields  # a form_post answer
        if "passwd" in fields or "login" in fields:
            fields["login"] = username
            fields["passwd"] = password
        elif "consent" in form.buttons:
            fields["consent"] = consent
        else:
            raise SignInError(f"unexpected form {form} on:\n{response.text[:2000]}")
        response = http.post(action, data=fields, allow_redirects=False, timeout=TIMEOUT_S)
    raise SignInError(f"no redirect to {redirect_uri} after {MAX_PAGES} pages; last:\n{response.text[:2000]}")
