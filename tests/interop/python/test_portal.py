"""The admin portal in a real browser (headless Chromium driven by Selenium): a Global Administrator
signs in through custos' own authorization-code flow and performs the seeds' Azure-portal steps; after
each, Graph or a token shows the same state. Seed 001 (Business Central): register an app, add a
client secret, add `API.ReadWrite.All`, grant admin consent. Seed 004 (Office 365 Management APIs):
upload a certificate, add the Activity API's permissions, grant consent, and open the consent URL.
Seed 000 (Community Training): create the `S2SAppRole` app role and assign it to a managed identity.
Also: a portal page without a session goes to sign-in, a non-administrator is told why, a form post
without the anti-CSRF token is refused, and axe-core finds no serious accessibility violation. The
run writes the README's screenshots (1280 px and 390 px wide) to docs/screenshots/."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import msal
import pytest
import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

import certificates
from graph_client import TIMEOUT_S, GraphClient, admin_graph
from interactive import Interactive
from world import World

WAIT_S = 30
REPO = Path(__file__).resolve().parents[3]
SCREENSHOTS = REPO / "docs" / "screenshots"
AXE = REPO / "tests" / "interop" / "node" / "node_modules" / "axe-core" / "axe.min.js"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
OFFICE_MANAGEMENT_APP_ID = "c5393580-f805-4401-95e8-94b7a6ef2fc2"
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def graph(world: World) -> GraphClient:
    return admin_graph(world.server.init)


@pytest.fixture(scope="module")
def admin(world: World, graph: GraphClient) -> tuple[str, str]:
    """A Global Administrator of the test tenant: (user principal name, password)."""
    upn = f"portal-admin-{uuid.uuid4().hex[:8]}@{world.server.init['tenantDomain']}"
    password = f"Aa1!{secrets.token_urlsafe(12)}"
    user = graph._post("/users", {
        "accountEnabled": True, "displayName": "Portal Admin", "userPrincipalName": upn,
        "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False},
    }, 201, "create the portal admin")
    graph._post("/roleManagement/directory/roleAssignments", {
        "roleDefinitionId": GLOBAL_ADMINISTRATOR, "principalId": user["id"], "directoryScopeId": "/",
    }, 201, "make the portal admin a Global Administrator")
    return upn, password


def _portal(world: World, path: str = "") -> str:
    return f"{world.public_url}/portal/{path}"


def _sign_in(browser: WebDriver, world: World, upn: str, password: str) -> None:
    """Opens the portal, signs in on custos' sign-in page and waits for the portal or a refusal."""
    browser.set_window_size(1280, 900)
    browser.get(_portal(world))
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_elements(By.NAME, "passwd"))
    browser.find_element(By.NAME, "login").send_keys(upn)
    browser.find_element(By.NAME, "passwd").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.current_url.startswith(_portal(world)) and "/portal/callback" not in d.current_url
        or "administrator role" in d.page_source
    )


def _click(browser: WebDriver, text: str) -> None:
    """Clicks the button or link whose visible text is `text` and waits for the next page."""
    old = browser.find_element(By.TAG_NAME, "html")
    matches = [e for e in browser.find_elements(By.CSS_SELECTOR, "button, a") if e.text.strip() == text and e.is_displayed()]
    assert matches, f"no button or link {text!r} on {browser.current_url}:\n{browser.page_source[:3000]}"
    matches[0].click()
    WebDriverWait(browser, WAIT_S).until(lambda d: old != d.find_element(By.TAG_NAME, "html"))


def _fill(browser: WebDriver, field_id: str, value: str) -> None:
    element = browser.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def _text(browser: WebDriver, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text.strip()


def _no_error(browser: WebDriver) -> None:
    errors = browser.find_elements(By.CSS_SELECTOR, "div.error")
    assert not errors, errors[0].text


def _screenshot(browser: WebDriver, name: str) -> None:
    """The page at both widths, whole (up to 2400 px high), into docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        browser.set_window_size(width, 900)
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(width, min(max(height, 600), 2400))
        browser.save_screenshot(str(SCREENSHOTS / f"portal-{name}-{width}.png"))
    browser.set_window_size(1280, 900)


def _axe(browser: WebDriver) -> None:
    """axe-core on the current page: no serious or critical violation."""
    browser.execute_script(AXE.read_text())
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html).slice(0, 3)}))));"
    )
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1)


def _app_token(world: World, app_id: str, credential, scope: str) -> dict:
    app = msal.ConfidentialClientApplication(
        app_id, client_credential=credential, authority=f"{world.public_url}/{world.tenant_id}",
        instance_discovery=False, verify=world.ca_path,
    )
    result = app.acquire_token_for_client(scopes=[scope])
    assert "access_token" in result, result
    return jwt.decode(result["access_token"], options={"verify_signature": False})


def _register(browser: WebDriver, world: World, name: str, multitenant: bool = False, redirect: str | None = None) -> tuple[str, str]:
    """App registrations > New registration; returns (object id, application id)."""
    browser.get(_portal(world, "apps"))
    _click(browser, "New registration")
    _fill(browser, "displayName", name)
    if multitenant:
        browser.find_element(By.CSS_SELECTOR, "input[name=signInAudience][value=AzureADMultipleOrgs]").click()
    if redirect:
        Select(browser.find_element(By.ID, "platform")).select_by_value("web")
        _fill(browser, "redirectUri", redirect)
    _click(browser, "Register")
    _no_error(browser)
    assert "The application was registered." in browser.page_source
    return _text(browser, "object-id"), _text(browser, "app-id")


def _add_permissions(browser: WebDriver, world: World, object_id: str, api_name: str, values: list[str],
                     kinds: tuple[str, ...] = ("Role",)) -> None:
    """API permissions > Add a permission > the API > the permissions named, of the kinds given
    (`Role`: application permissions, `Scope`: delegated)."""
    browser.get(_portal(world, f"apps/{object_id}/permissions"))
    _click(browser, "Add a permission")
    _click(browser, api_name)
    chosen = []
    for label in browser.find_elements(By.CSS_SELECTOR, "label.inline"):
        checkbox = label.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
        value = label.find_element(By.TAG_NAME, "strong").text
        if checkbox.get_attribute("value").split(":")[0] in kinds and value in values:
            checkbox.click()
            chosen.append(value)
    assert sorted(chosen) == sorted(values * len(kinds)), browser.page_source[:4000]
    _click(browser, "Add permissions")
    _no_error(browser)
    assert "Not granted" in browser.page_source


def _grant_consent(browser: WebDriver) -> None:
    _click(browser, "Grant admin consent for this tenant")
    _no_error(browser)
    assert "Admin consent was granted for the tenant." in browser.page_source
    assert "Not granted" not in browser.page_source


def test_without_a_session_portal_pages_go_to_sign_in(world: World) -> None:
    page = requests.get(_portal(world, "apps?search=x"), verify=world.ca_path, allow_redirects=False, timeout=TIMEOUT_S)
    assert page.status_code == 303, page.text
    assert page.headers["location"] == "/portal/sign-in?return=%2Fportal%2Fapps%3Fsearch%3Dx"
    start = requests.get(world.public_url + page.headers["location"], verify=world.ca_path, allow_redirects=False, timeout=TIMEOUT_S)
    assert start.status_code == 303
    target = urlsplit(start.headers["location"])
    query = parse_qs(target.query)
    assert target.path == "/organizations/oauth2/v2.0/authorize"
    assert query["client_id"] == ["c44b4083-3bb0-49c1-b47d-974e53cbdf3c"]
    assert query["redirect_uri"] == [_portal(world, "callback")]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert "__Host-custos-portal-flow=" in start.headers["set-cookie"]
    # A callback without the flow cookie of this browser is refused with a way back.
    callback = requests.get(_portal(world, "callback?code=x&state=y"), verify=world.ca_path, timeout=TIMEOUT_S)
    assert callback.status_code == 400 and "Sign-in expired" in callback.text


def test_a_user_who_is_not_an_administrator_is_told_why(world: World, interactive: Interactive, chromium: WebDriver) -> None:
    _sign_in(chromium, world, interactive.upn, interactive.password)
    assert "You need an administrator role" in chromium.page_source
    assert interactive.upn in chromium.page_source
    assert not [c for c in chromium.get_cookies() if c["name"] == "__Host-custos-portal"], "no session"


def test_seed_001_register_secret_business_central_permission_and_consent(world: World, graph: GraphClient, admin, chromium: WebDriver) -> None:
    browser = chromium
    bc_name = f"Dynamics 365 Business Central (portal {uuid.uuid4().hex[:6]})"
    bc = graph.register(bc_name, f"api://bc-portal-{uuid.uuid4().hex[:8]}", token_version=None, roles=("API.ReadWrite.All",))
    _sign_in(browser, world, *admin)
    _axe(browser)
    _screenshot(browser, "overview")
    object_id, app_id = _register(browser, world, f"BC connector {uuid.uuid4().hex[:6]}")
    _axe(browser)
    _screenshot(browser, "app-overview")

    browser.get(_portal(world, f"apps/{object_id}/credentials"))
    _fill(browser, "secret-description", "BC connector")
    _click(browser, "New client secret")
    _no_error(browser)
    secret = _text(browser, "secret-value")
    assert len(secret) >= 32
    graph_app = graph.session.get(f"{graph.base}/applications/{object_id}", timeout=TIMEOUT_S).json()
    assert [c["displayName"] for c in graph_app["passwordCredentials"]] == ["BC connector"]
    assert graph_app["passwordCredentials"][0]["hint"] == secret[:3]

    _add_permissions(browser, world, object_id, bc_name, ["API.ReadWrite.All"])
    graph_app = graph.session.get(f"{graph.base}/applications/{object_id}", timeout=TIMEOUT_S).json()
    assert graph_app["requiredResourceAccess"] == [{
        "resourceAppId": bc.app_id,
        "resourceAccess": [{"id": bc.role_ids["API.ReadWrite.All"], "type": "Role"}],
    }]
    _grant_consent(browser)
    _axe(browser)
    _screenshot(browser, "api-permissions")
    claims = _app_token(world, app_id, secret, f"{bc.identifier_uri}/.default")
    assert claims["roles"] == ["API.ReadWrite.All"], claims

    browser.get(_portal(world, "apps"))
    _axe(browser)
    _screenshot(browser, "app-registrations")


def test_seed_004_certificate_office_365_permissions_and_the_consent_url(world: World, graph: GraphClient, admin, chromium: WebDriver, tmp_path: Path) -> None:
    browser = chromium
    redirect = "https://activity.portal.test/callback"
    _sign_in(browser, world, *admin)
    object_id, app_id = _register(browser, world, f"Activity reader {uuid.uuid4().hex[:6]}", multitenant=True, redirect=redirect)

    certificate = certificates.generate("portal-activity-reader")
    cert_file = tmp_path / "reader.cer"
    cert_file.write_bytes(certificate.cert_der)
    browser.get(_portal(world, f"apps/{object_id}/credentials"))
    browser.find_element(By.ID, "certificate").send_keys(str(cert_file))
    _fill(browser, "certificate-description", "reader")
    _click(browser, "Add")
    _no_error(browser)
    assert "The certificate was uploaded." in browser.page_source
    assert certificate.sha1_hex.upper() in browser.page_source
    _axe(browser)
    _screenshot(browser, "certificates-and-secrets")
    keys = graph.session.get(f"{graph.base}/applications/{object_id}?$select=keyCredentials", timeout=TIMEOUT_S).json()
    assert [k["displayName"] for k in keys["keyCredentials"]] == ["reader"]

    _add_permissions(browser, world, object_id, "Office 365 Management APIs", ["ActivityFeed.Read", "ServiceHealth.Read"],
                     kinds=("Role", "Scope"))
    _grant_consent(browser)
    credential = {"private_key": certificate.key_pem, "thumbprint": certificate.sha1_hex}
    claims = _app_token(world, app_id, credential, "https://manage.office.com/.default")
    assert sorted(claims["roles"]) == ["ActivityFeed.Read", "ServiceHealth.Read"], claims

    # The consent URL the page shows (seed 004's form) signs in and redirects with a code.
    consent_url = next(e.text for e in browser.find_elements(By.CSS_SELECTOR, "[id^=consent-v1-]"))
    assert consent_url.startswith(f"{world.public_url}/common/oauth2/authorize?response_type=code&resource=https%3A%2F%2Fmanage.office.com&client_id={app_id}")
    try:
        browser.get(consent_url)
    except WebDriverException:
        pass  # the browser lands on the (unresolvable) redirect URI at once when already signed in
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.current_url.startswith(redirect) or d.find_elements(By.NAME, "consent") or d.find_elements(By.NAME, "passwd")
    )
    if browser.find_elements(By.NAME, "passwd"):
        browser.find_element(By.NAME, "login").send_keys(admin[0])
        browser.find_element(By.NAME, "passwd").send_keys(admin[1])
        browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
        WebDriverWait(browser, WAIT_S).until(lambda d: d.current_url.startswith(redirect) or d.find_elements(By.NAME, "consent"))
    if not browser.current_url.startswith(redirect):
        [b for b in browser.find_elements(By.NAME, "consent") if b.get_attribute("value") == "accept"][0].click()
        WebDriverWait(browser, WAIT_S).until(lambda d: d.current_url.startswith(redirect))
    code = parse_qs(urlsplit(browser.current_url).query)["code"][0]
    # The seed's code redemption at /common/oauth2/token, authenticated with the certificate.
    endpoint = f"{world.public_url}/common/oauth2/token"
    assertion = certificates.seed004_assertion(certificate, app_id, endpoint, int(time.time()) - 5)
    redeemed = requests.post(endpoint, data={
        "client_id": app_id, "redirect_uri": redirect, "code": code, "grant_type": "authorization_code",
        "resource": "https://manage.office.com",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": assertion,
    }, verify=world.ca_path, timeout=TIMEOUT_S)
    assert redeemed.status_code == 200, redeemed.text
    token = jwt.decode(redeemed.json()["access_token"], options={"verify_signature": False})
    assert token["aud"] == "https://manage.office.com" and token["tid"] == world.tenant_id, token


def test_seed_000_app_role_assigned_to_a_managed_identity(world: World, graph: GraphClient, admin, chromium: WebDriver) -> None:
    browser = chromium
    _sign_in(browser, world, *admin)
    name = f"CT service {uuid.uuid4().hex[:6]}"
    object_id, app_id = _register(browser, world, name)
    browser.get(_portal(world, f"apps/{object_id}/expose"))
    assert browser.find_element(By.ID, "identifierUri").get_attribute("value") == f"api://{app_id}"
    _click(browser, "Save")
    _no_error(browser)
    browser.get(_portal(world, f"apps/{object_id}/roles"))
    _fill(browser, "role-name", "S2SAppRole")
    _fill(browser, "role-value", "S2SAppRole")
    _fill(browser, "role-description", "Apps in this role can consume the web api.")
    _click(browser, "Apply")
    _no_error(browser)
    assert "The app role was created." in browser.page_source
    _axe(browser)
    _screenshot(browser, "app-roles")
    roles = graph.session.get(f"{graph.base}/applications/{object_id}", timeout=TIMEOUT_S).json()["appRoles"]
    assert [(r["value"], r["allowedMemberTypes"], r["isEnabled"]) for r in roles] == [("S2SAppRole", ["Application"], True)]
    # A second role with the same value: the page shows Graph's own refusal, word for word.
    _fill(browser, "role-name", "Duplicate")
    _fill(browser, "role-value", "S2SAppRole")
    _fill(browser, "role-description", "Same value again.")
    _click(browser, "Apply")
    duplicate = roles + [{"id": str(uuid.uuid4()), "allowedMemberTypes": ["Application"], "displayName": "Duplicate",
                          "value": "S2SAppRole", "description": "Same value again.", "isEnabled": True}]
    refused = graph.session.patch(f"{graph.base}/applications/{object_id}", json={"appRoles": duplicate}, timeout=TIMEOUT_S)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    banner = browser.find_element(By.CSS_SELECTOR, "div.error").text
    assert banner == f"400 {error['code']}: {error['message']}", banner

    browser.get(_portal(world, "identities"))
    _fill(browser, "identity-name", f"ct-identity-{uuid.uuid4().hex[:6]}")
    _click(browser, "Create")
    _no_error(browser)
    identity_id = _text(browser, "object-id")
    Select(browser.find_element(By.ID, "identity-role")).select_by_visible_text(f"{name} · S2SAppRole")
    _click(browser, "Assign")
    _no_error(browser)
    assert "The role was assigned." in browser.page_source
    _axe(browser)
    _screenshot(browser, "managed-identity")
    held = graph.session.get(f"{graph.base}/servicePrincipals/{identity_id}/appRoleAssignments", timeout=TIMEOUT_S).json()["value"]
    assert [a["appRoleId"] for a in held] == [roles[0]["id"]]

    for page, name in (("sign-ins", "sign-in-logs"), ("audit", "audit-logs"), ("users", "users")):
        browser.get(_portal(world, page))
        _no_error(browser)
        _axe(browser)
        _screenshot(browser, name)


def test_a_form_post_without_the_anti_csrf_token_is_refused(world: World, admin, chromium: WebDriver) -> None:
    _sign_in(chromium, world, *admin)
    session = {c["name"]: c["value"] for c in chromium.get_cookies()}
    assert "__Host-custos-portal" in session
    cookies = {"__Host-custos-portal": session["__Host-custos-portal"]}
    forged = requests.post(_portal(world, "apps/new"), data={"displayName": "forged"}, cookies=cookies,
                           verify=world.ca_path, allow_redirects=False, timeout=TIMEOUT_S)
    assert forged.status_code == 403 and "Request refused" in forged.text
    wrong = requests.post(_portal(world, "apps/new"), data={"displayName": "forged", "csrf": "A" * 43}, cookies=cookies,
                          verify=world.ca_path, allow_redirects=False, timeout=TIMEOUT_S)
    assert wrong.status_code == 403
    page = requests.get(_portal(world, "apps"), cookies=cookies, verify=world.ca_path, timeout=TIMEOUT_S)
    assert page.status_code == 200 and "forged" not in page.text
    headers = page.headers
    assert headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert headers["cache-control"] == "no-store"
