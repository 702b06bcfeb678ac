"""Interactive sign-in with real, unmodified client libraries: MSAL Python's confidential and
public (PKCE, loopback) auth-code flows and silent refresh, and azure-identity's
AuthorizationCodeCredential. The pages are driven over HTTP by sign_in_driver."""

from __future__ import annotations

from urllib.parse import urlencode

import jwt
import msal
import pytest
from azure.identity import AuthorizationCodeCredential

import sign_in_driver
from interactive import SCOPE_VALUE, WEB_REDIRECT, Interactive


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_msal_confidential_auth_code_flow_and_silent_refresh(interactive: Interactive) -> None:
    i = interactive
    app = msal.ConfidentialClientApplication(
        i.web_app_id, client_credential=i.web_secret, authority=i.authority(),
        instance_discovery=False, verify=i.world.ca_path,
    )
    flow = app.initiate_auth_code_flow([i.scope], redirect_uri=WEB_REDIRECT)
    answer = sign_in_driver.drive(flow["auth_uri"], WEB_REDIRECT, i.upn, i.password, i.world.ca_path)
    assert answer.get("state") == flow["state"], answer
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["scp"] == SCOPE_VALUE
    assert claims["oid"] == i.user_id
    assert claims["azp"] == i.web_app_id and claims["azpacr"] == "1"
    assert claims["aud"] == i.world.resources["v2"].app.app_id
    assert result["id_token_claims"]["preferred_username"] == i.upn
    [account] = app.get_accounts()
    assert account["username"] == i.upn
    refreshed = app.acquire_token_silent_with_error([i.scope], account, force_refresh=True)
    assert refreshed and "access_token" in refreshed, refreshed
    assert refreshed["access_token"] != result["access_token"]
    assert _claims(refreshed["access_token"])["scp"] == SCOPE_VALUE


def test_msal_public_client_with_pkce_on_a_loopback_port(interactive: Interactive) -> None:
    i = interactive
    app = msal.PublicClientApplication(
        i.public_app_id, authority=i.authority(), instance_discovery=False, verify=i.world.ca_path,
    )
    redirect = "http://localhost:8471"
    flow = app.initiate_auth_code_flow([i.scope], redirect_uri=redirect, response_mode="form_post")
    assert "code_challenge=" in flow["auth_uri"]
    answer = sign_in_driver.drive(flow["auth_uri"], redirect, i.upn, i.password, i.world.ca_path)
    result = app.acquire_token_by_auth_code_flow(flow, answer)
    assert "access_token" in result, result
    claims = _claims(result["access_token"])
    assert claims["azpacr"] == "0" and claims["scp"] == SCOPE_VALUE


def test_azure_identity_authorization_code_credential(interactive: Interactive) -> None:
    i = interactive
    query = {
        "client_id": i.web_app_id,
        "response_type": "code",
        "redirect_uri": WEB_REDIRECT,
        "scope": f"{i.scope} openid offline_access",
        "state": "az-identity",
    }
    url = f"{i.authority()}/oauth2/v2.0/authorize?{urlencode(query)}"
    answer = sign_in_driver.drive(url, WEB_REDIRECT, i.upn, i.password, i.world.ca_path)
    credential = AuthorizationCodeCredential(
        i.world.tenant_id, i.web_app_id, answer["code"], WEB_REDIRECT, client_secret=i.web_secret,
        authority=i.world.public_url, disable_instance_discovery=True, connection_verify=i.world.ca_path,
    )
    token = credential.get_token(i.scope)
    assert _claims(token.token)["oid"] == i.user_id


def test_a_wrong_password_stays_on_the_sign_in_page_with_aadsts50126(interactive: Interactive) -> None:
    i = interactive
    url = f"{i.authority()}/oauth2/v2.0/authorize?" + urlencode(
        {"client_id": i.web_app_id, "response_type": "code", "redirect_uri": WEB_REDIRECT, "scope": i.scope}
    )
    with pytest.raises(sign_in_driver.SignInError) as refused:
        sign_in_driver.drive(url, WEB_REDIRECT, i.upn, "Wrong-passw0rd", i.world.ca_path)
    assert "50126" in str(refused.value)
