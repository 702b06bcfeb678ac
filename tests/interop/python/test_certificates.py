"""Certificate client credentials against custos: MSAL Python, azure-identity and seed 004's raw request.

The certificate daemon of the `world` fixture holds an RSA-2048 self-signed certificate registered by
Graph PATCH in the seed-004 manifest shape. Each client's request is recorded on the way out, so every
test also asserts which assertion shape (alg, thumbprint header, `x5c`) the library really sent; every
token is then validated like a resource server would, with `appidacr`/`azpacr` = "2".
"""

from __future__ import annotations

import time
import uuid

import msal
import requests
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import CertificateCredential

import certificates
from certificates import ClientCertificate, unverified_segment
from token_checks import Expected, validate
from world import ROLE, CertificateClient, Resource, World

CERTIFICATE_ACR = "2"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def as_text(value: str | bytes) -> str:
    """MSAL Python posts its assertion as bytes."""
    return value.decode("ascii") if isinstance(value, bytes) else value


class RecordingSession(requests.Session):
    """The `http_client` of MSAL Python: a requests session that keeps every client assertion it posts."""

    def __init__(self, ca_path: str) -> None:
        super().__init__()
        self.verify = ca_path
        self.trust_env = False
        self.assertions: list[str] = []

    def post(self, url, data=None, **kwargs):  # requests.Session.post
        if isinstance(data, dict) and data.get("client_assertion_type") == JWT_BEARER:
            self.assertions.append(as_text(data["client_assertion"]))
        return super().post(url, data=data, **kwargs)


class RecordingTransport(RequestsTransport):
    """The azure-core transport of azure-identity: keeps every client assertion it sends."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.assertions: list[str] = []

    def send(self, request, **kwargs):  # HttpTransport.send
        form = request.content if isinstance(getattr(request, "content", None), dict) else {}
        if form.get("client_assertion_type") == JWT_BEARER:
            self.assertions.append(as_text(form["client_assertion"]))
        return super().send(request, **kwargs)


def expected_for(world: World, resource: Resource) -> Expected:
    client = world.cert_daemon.app
    return Expected(
        version=resource.version,
        audience=resource.token_audience,
        tenant_id=world.tenant_id,
        client_app_id=client.app_id,
        client_sp_id=client.sp_id,
        roles=[ROLE],
        acr=CERTIFICATE_ACR,
    )


def token_endpoint(world: World, version: str) -> str:
    path = "oauth2/v2.0/token" if version == "2.0" else "oauth2/token"
    return f"{world.public_url}/{world.tenant_id}/{path}"


def msal_app(world: World, client_id: str, credential: dict) -> tuple[msal.ConfidentialClientApplication, RecordingSession]:
    session = RecordingSession(world.ca_path)
    app = msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{world.public_url}/{world.tenant_id}",
        instance_discovery=False,
        http_client=session,
    )
    return app, session


def only_assertion(assertions: list[str]) -> tuple[dict, dict]:
    """The header and payload of the one assertion a client sent."""
    assert len(assertions) == 1, f"expected one client assertion, saw {len(assertions)}"
    return unverified_segment(assertions[0], 0), unverified_segment(assertions[0], 1)


def assert_x5c_is_the_certificate(header: dict, certificate: ClientCertificate) -> None:
    """`x5c` carries the registered certificate (MSAL Python may keep the PEM body's newlines)."""
    chain = header.get("x5c")
    assert isinstance(chain, list) and len(chain) == 1, header
    assert "".join(chain[0].split()) == "".join(certificate.cert_pem.splitlines()[1:-1]), header


def acquire_with_msal(world: World, resource: Resource, credential: dict) -> tuple[dict, dict]:
    """MSAL Python client credentials with a certificate; validates the token, returns the assertion."""
    client: CertificateClient = world.cert_daemon
    app, session = msal_app(world, client.app.app_id, credential)
    result = app.acquire_token_for_client(scopes=[f"{resource.identifier_uri}/.default"])
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer"
    validate(result["access_token"], expected_for(world, resource), world.public_url, world.ca_path)
    header, payload = only_assertion(session.assertions)
    assert payload["iss"] == payload["sub"] == client.app.app_id, payload
    assert payload["aud"] == token_endpoint(world, "2.0"), payload
    return header, payload


def test_msal_python_pem_and_sha1_thumbprint(world: World, resource: Resource) -> None:
    certificate = world.cert_daemon.certificate
    credential = {"private_key": certificate.key_pem, "thumbprint": certificate.sha1_hex}
    header, payload = acquire_with_msal(world, resource, credential)
    assert header["alg"] == "RS256", header
    assert header["x5t"].rstrip("=") == certificate.x5t, header
    assert "x5t#S256" not in header and "x5c" not in header, header
    assert isinstance(payload["exp"], (int, float)) and "nbf" not in payload, payload


def test_msal_python_thumbprint_and_public_certificate(world: World, resource: Resource) -> None:
    """With a SHA-1 `thumbprint`, MSAL Python 1.39 keeps RS256 + `x5t` and adds the certificate as `x5c`."""
    certificate = world.cert_daemon.certificate
    credential = {
        "private_key": certificate.key_pem,
        "thumbprint": certificate.sha1_hex,
        "public_certificate": certificate.cert_pem,
    }
    header, _ = acquire_with_msal(world, resource, credential)
    assert header["alg"] == "RS256", header
    assert header["x5t"].rstrip("=") == certificate.x5t, header
    assert_x5c_is_the_certificate(header, certificate)


def test_msal_python_public_certificate_is_ps256(world: World, resource: Resource) -> None:
    """Without `thumbprint`, MSAL Python computes the SHA-256 thumbprint: PS256 + `x5t#S256` (+ `x5t`, `x5c`)."""
    certificate = world.cert_daemon.certificate
    credential = {"private_key": certificate.key_pem, "public_certificate": certificate.cert_pem}
    header, _ = acquire_with_msal(world, resource, credential)
    assert header["alg"] == "PS256", header
    assert header["x5t#S256"].rstrip("=") == certificate.x5t_s256, header
    assert_x5c_is_the_certificate(header, certificate)


def azure_identity_token(world: World, resource: Resource, **options: bool) -> tuple[dict, dict]:
    client = world.cert_daemon
    transport = RecordingTransport(connection_verify=world.ca_path)
    credential = CertificateCredential(
        world.tenant_id,
        client.app.app_id,
        certificate_data=(client.certificate.key_pem + client.certificate.cert_pem).encode("ascii"),
        authority=world.public_url,
        disable_instance_discovery=True,
        connection_verify=world.ca_path,
        transport=transport,
        **options,
    )
    access = credential.get_token(f"{resource.identifier_uri}/.default")
    assert access.expires_on > time.time() + 60
    validate(access.token, expected_for(world, resource), world.public_url, world.ca_path)
    return only_assertion(transport.assertions)


def test_azure_identity_certificate_credential(world: World, resource: Resource) -> None:
    header, _ = azure_identity_token(world, resource)
    assert header["alg"] == "RS256", header
    assert header["x5t"].rstrip("=") == world.cert_daemon.certificate.x5t, header
    assert "x5c" not in header, header


def test_azure_identity_certificate_credential_with_chain(world: World, resource: Resource) -> None:
    header, _ = azure_identity_token(world, resource, send_certificate_chain=True)
    assert header["alg"] == "RS256", header
    assert_x5c_is_the_certificate(header, world.cert_daemon.certificate)


def test_seed_004_raw_request(world: World) -> None:
    """Seed 004 verbatim: v1 endpoint, `resource=`, RS256 + `x5t` without `typ`, `aud` = the v1 token endpoint."""
    client = world.cert_daemon
    resource = world.resources["v1"]
    endpoint = token_endpoint(world, "1.0")
    assertion = certificates.seed004_assertion(client.certificate, client.app.app_id, endpoint, int(time.time()))
    assert unverified_segment(assertion, 0) == {"alg": "RS256", "x5t": client.certificate.x5t}
    response = requests.post(
        endpoint,
        data={
            "grant_type": "client_credentials",
            "client_id": client.app.app_id,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
            "resource": resource.identifier_uri,
        },
        verify=world.ca_path,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["resource"] == resource.identifier_uri
    for field in ("expires_in", "expires_on", "not_before"):
        assert isinstance(body[field], str) and body[field].isdigit(), f"{field} must be a numeric string: {body}"
    claims = validate(body["access_token"], expected_for(world, resource), world.public_url, world.ca_path)
    assert abs(int(body["expires_on"]) - claims["exp"]) <= 1, (body["expires_on"], claims["exp"])


def test_msal_python_unregistered_certificate_is_700027(world: World, resource: Resource) -> None:
    stranger = certificates.generate(f"interop-unregistered-{uuid.uuid4()}")
    credential = {"private_key": stranger.key_pem, "thumbprint": stranger.sha1_hex}
    app, _ = msal_app(world, world.cert_daemon.app.app_id, credential)
    result = app.acquire_token_for_client(scopes=[f"{resource.identifier_uri}/.default"])
    assert "access_token" not in result, result
    assert result["error"] == "invalid_client", result
    assert 700027 in result["error_codes"], result
    assert result["error_description"].startswith("AADSTS700027:"), result
