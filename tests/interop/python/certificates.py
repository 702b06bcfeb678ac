"""Client certificates for the interop suite, made with `cryptography`.

Owns the self-signed RSA-2048 certificate a daemon authenticates with (what `makecert` does in
seed 004), its thumbprints in every encoding the wire uses, the seed-004 manifest entry that
registers it, and the hand-built client assertion of seed 004's raw request.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 2048
VALIDITY = datetime.timedelta(days=365)
SEED_004_LIFETIME_S = 600


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE encodes segments and `x5t` values."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class ClientCertificate:
    """A private key and its self-signed certificate; `repr` shows only the subject and thumbprint."""

    subject: str
    key_pem: str = field(repr=False)
    cert_pem: str = field(repr=False)
    cert_der: bytes = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)

    @property
    def sha1(self) -> bytes:
        return hashlib.sha1(self.cert_der).digest()  # the x5t thumbprint is SHA-1 by definition

    @property
    def sha1_hex(self) -> str:
        """The thumbprint as MSAL Python's `thumbprint` and Windows show it."""
        return self.sha1.hex()

    @property
    def sha256(self) -> bytes:
        return hashlib.sha256(self.cert_der).digest()

    @property
    def sha256_hex(self) -> str:
        return self.sha256.hex()

    @property
    def x5t(self) -> str:
        return b64url(self.sha1)

    @property
    def x5t_s256(self) -> str:
        return b64url(self.sha256)

    def manifest_entry(self, key_id: str) -> dict:
        """The keyCredentials entry of seed 004: base64 SHA-1 thumbprint, new GUID, base64 DER in `value`."""
        return {
            "customKeyIdentifier": base64.b64encode(self.sha1).decode("ascii"),
            "keyId": key_id,
            "type": "AsymmetricX509Cert",
            "usage": "Verify",
            "value": base64.b64encode(self.cert_der).decode("ascii"),
        }


def generate(common_name: str) -> ClientCertificate:
    """A fresh RSA-2048 key and a self-signed certificate valid from an hour ago for a year."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return ClientCertificate(
        subject=f"CN={common_name}",
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii"),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        cert_der=der,
        private_key=key,
    )


def seed004_assertion(certificate: ClientCertificate, client_id: str, audience: str, nbf: int) -> str:
    """The client assertion of seed 004, built by hand.

    Header exactly `{"alg":"RS256","x5t":"…"}` (no `typ`); payload `aud, iss, sub, jti, nbf` and
    `exp = nbf + 600`, serialised with the `\\/` escapes of seed 004's encoded sample; RS256 signature.
    """
    header = json.dumps({"alg": "RS256", "x5t": certificate.x5t}, separators=(",", ":"))
    payload = json.dumps(
        {
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": str(uuid.uuid4()),
            "nbf": nbf,
            "exp": nbf + SEED_004_LIFETIME_S,
        },
        separators=(",", ":"),
    ).replace("/", "\\/")
    signing_input = f"{b64url(header.encode())}.{b64url(payload.encode())}"
    signature = certificate.private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def unverified_segment(token: str, index: int) -> dict:
    """Decodes header (0) or payload (1) of a compact JWS without verifying it (padding tolerated)."""
    segment = token.split(".")[index].rstrip("=")
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
