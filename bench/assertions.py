#!/usr/bin/env python3
"""private_key_jwt inputs of the token benchmark: the client certificate and the assertion pool.

Owns the benchmark client's key pair and self-signed certificate (RSA-2048, made with
`cryptography`), the client assertion custos is measured with (header `{"alg":"RS256",
"typ":"JWT","x5t":…}`; `aud` = the v2 token endpoint, `iss` = `sub` = client id, a unique `jti`,
`iat` = `nbf` = now, `exp` = now + 3000 s, under the 60-minute cap) and the pool of such requests
wrk replays: one form body per line, each with its own `jti`, signed on every core in parallel.

Usage: assertions.py --key KEY.pem --cert CERT.pem --client-id ID --audience URL --count N --out FILE
(provision.py imports `new_certificate`, `assertion` and `form_body` from here).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

SCOPE = "api://bench/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
LIFETIME_S = 3000
CHUNK = 2000


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_certificate(common_name: str) -> tuple[bytes, bytes]:
    """A fresh RSA-2048 key and a self-signed certificate: (key PEM, certificate DER)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.DER)


def x5t(cert_der: bytes) -> str:
    """The `x5t` header value: unpadded base64url of the certificate's SHA-1 thumbprint."""
    return b64url(hashlib.sha1(cert_der).digest())  # x5t is SHA-1 by definition


def assertion(key: rsa.RSAPrivateKey, thumbprint: str, client_id: str, audience: str, now: int) -> str:
    """One RS256 + `x5t` client assertion with a fresh `jti`, valid from `now` for LIFETIME_S."""
    header = {"alg": "RS256", "typ": "JWT", "x5t": thumbprint}
    claims = {
        "aud": audience,
        "iss": client_id,
        "sub": client_id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + LIFETIME_S,
    }
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def form_body(client_id: str, client_assertion: str) -> str:
    """The client-credentials request body for private_key_jwt (v2 endpoint, `scope`)."""
    return urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion,
            "scope": SCOPE,
        }
    )


# Per worker process: the parsed key and the fixed fields, set once by `_init_worker`.
_WORKER: dict = {}


def _init_worker(key_pem: bytes, thumbprint: str, client_id: str, audience: str, now: int) -> None:
    _WORKER.update(
        key=serialization.load_pem_private_key(key_pem, password=None),
        thumbprint=thumbprint,
        client_id=client_id,
        audience=audience,
        now=now,
    )


def _chunk(count: int) -> str:
    w = _WORKER
    return "".join(
        form_body(w["client_id"], assertion(w["key"], w["thumbprint"], w["client_id"], w["audience"], w["now"])) + "\n"
        for _ in range(count)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--key", type=Path, required=True, help="the client's private key (PEM)")
    parser.add_argument("--cert", type=Path, required=True, help="the client's certificate (DER)")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--audience", required=True, help="the v2 token endpoint under the public URL")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.count <= 0:
        sys.exit("assertions: --count must be positive")

    started = time.monotonic()
    now = int(time.time())
    init = (args.key.read_bytes(), x5t(args.cert.read_bytes()), args.client_id, args.audience, now)
    chunks = [CHUNK] * (args.count // CHUNK) + ([args.count % CHUNK] if args.count % CHUNK else [])
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out, ProcessPoolExecutor(os.cpu_count(), initializer=_init_worker, initargs=init) as pool:
        for lines in pool.map(_chunk, chunks):
            out.write(lines)
    elapsed = time.monotonic() - started
    print(
        f"assertions: {args.count} private_key_jwt bodies in {elapsed:.1f} s ({args.count / elapsed:.0f}/s), "
        f"valid until {now + LIFETIME_S} (now + {LIFETIME_S} s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
