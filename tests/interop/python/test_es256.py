"""The opt-in ES256 lane (issue 17, goal 6): a resource asks for ES256 access tokens through the custos
extension on its Graph application; MSAL gets them unchanged and PyJWT validates them the way
Microsoft.Identity.Web does (issuer and JWKS from discovery, the key chosen by `kid`)."""

from __future__ import annotations

import jwt
import msal
import pytest

from graph_client import admin_graph
from token_checks import Expected, fetch_json, validate
from world import ROLE, World

EXTENSION = "custos"


@pytest.fixture(scope="module")
def es256_resource(world: World):
    """A v2 resource with role Data.Read for the daemon, switched to ES256 by PATCH."""
    graph = admin_graph(world.server.init)
    app = graph.register("interop-es256-resource", "api://interop-es256", token_version=2, roles=(ROLE,))
    graph.assign_app_role(app.sp_id, world.daemon.sp_id, app.role_ids[ROLE])
    url = f"{graph.base}/applications/{app.object_id}"
    response = graph.session.patch(url, json={EXTENSION: {"accessTokenSigningAlgorithm": "ES256"}}, timeout=30)
    assert response.status_code == 204, response.text
    shown = graph.session.get(url, timeout=30).json()
    assert shown[EXTENSION] == {"accessTokenSigningAlgorithm": "ES256"}, shown
    return graph, app


def daemon_token(world: World, scope: str) -> str:
    app = msal.ConfidentialClientApplication(
        world.daemon.app_id,
        client_credential=world.daemon.secret,
        authority=f"{world.public_url}/{world.tenant_id}",
        instance_discovery=False,
        verify=world.ca_path,
    )
    result = app.acquire_token_for_client(scopes=[scope])
    assert "access_token" in result, result
    return result["access_token"]


def test_es256_tokens_validate_with_pyjwt_and_the_discovered_ec_key(world: World, es256_resource) -> None:
    _, app = es256_resource
    token = daemon_token(world, "api://interop-es256/.default")
    expected = Expected(
        version="2.0",
        audience=app.app_id,
        tenant_id=world.tenant_id,
        client_app_id=world.daemon.app_id,
        client_sp_id=world.daemon.sp_id,
        roles=[ROLE],
    )
    validate(token, expected, world.public_url, world.ca_path, algorithm="ES256")

    # The key is a P-256 key in the tenant's JWKS, in JWK form a validator needs nothing else for.
    discovery = fetch_json(f"{world.public_url}/{world.tenant_id}/v2.0/.well-known/openid-configuration", world.ca_path)
    assert "ES256" not in discovery["id_token_signing_alg_values_supported"]
    jwks = fetch_json(discovery["jwks_uri"], world.ca_path)
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [key for key in jwks["keys"] if key["kid"] == kid]
    assert (jwk["kty"], jwk["crv"], jwk["alg"], jwk["use"]) == ("EC", "P-256", "ES256", "sig"), jwk
    assert jwk["x5t"] == kid and jwk["x5c"], jwk
    # Pinned to RS256, a validator refuses it: the algorithm is the key's, never the header's choice alone.
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=app.app_id)


def test_other_resources_keep_rs256(world: World, es256_resource) -> None:
    token = daemon_token(world, "api://interop-v2/.default")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"


def test_patch_refuses_unknown_algorithms_in_graph_error_shape(world: World, es256_resource) -> None:
    graph, app = es256_resource
    url = f"{graph.base}/applications/{app.object_id}"
    for body in (
        {EXTENSION: {"accessTokenSigningAlgorithm": "HS256"}},
        {EXTENSION: {"accessTokenSigningAlgorithm": "es256"}},
        {EXTENSION: {"somethingElse": True}},
    ):
        response = graph.session.patch(url, json=body, timeout=30)
        assert response.status_code == 400, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "Request_BadRequest", error
    shown = graph.session.get(url, timeout=30).json()
    assert shown[EXTENSION] == {"accessTokenSigningAlgorithm": "ES256"}, "a refused PATCH changes nothing"


def test_switching_back_to_rs256(world: World, es256_resource) -> None:
    graph, app = es256_resource
    url = f"{graph.base}/applications/{app.object_id}"
    response = graph.session.patch(url, json={EXTENSION: {"accessTokenSigningAlgorithm": "RS256"}}, timeout=30)
    assert response.status_code == 204, response.text
    assert EXTENSION not in graph.session.get(url, timeout=30).json()
    token = daemon_token(world, "api://interop-es256/.default")
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    response = graph.session.patch(url, json={EXTENSION: {"accessTokenSigningAlgorithm": "ES256"}}, timeout=30)
    assert response.status_code == 204, response.text
    assert jwt.get_unverified_header(daemon_token(world, "api://interop-es256/.default"))["alg"] == "ES256"
