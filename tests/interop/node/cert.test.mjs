// MSAL Node against custos with a certificate: `clientCertificate: {thumbprintSha256, privateKey}` for a v1
// and a v2 resource. Every request goes through a recording network client, so the test asserts the
// assertion MSAL Node really sent (PS256 + `x5t#S256`, `aud` = the v2 token endpoint) before it verifies
// the token (checks.mjs) with `appidacr`/`azpacr` = "2".
//
// Run by tests/interop/python/test_node.py, which passes, besides the variables of checks.mjs:
//   CUSTOS_INTEROP_CERT_CLIENT_ID, CUSTOS_INTEROP_CERT_CLIENT_OBJECT_ID,
//   CUSTOS_INTEROP_CERT_THUMBPRINT_SHA256 (hex), CUSTOS_INTEROP_CERT_KEY_FILE (the private key, PEM).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { authority, knownAuthorities, required, server, verifyToken } from "./checks.mjs";

const CERTIFICATE_ACR = "2";
const client = {
  clientId: required("CUSTOS_INTEROP_CERT_CLIENT_ID"),
  clientObjectId: required("CUSTOS_INTEROP_CERT_CLIENT_OBJECT_ID"),
  thumbprintSha256: required("CUSTOS_INTEROP_CERT_THUMBPRINT_SHA256"),
  privateKey: readFileSync(required("CUSTOS_INTEROP_CERT_KEY_FILE"), "utf8"),
};

/** An MSAL Node network module on fetch that keeps the client assertion of every POST. */
class RecordingNetworkClient {
  constructor() {
    this.assertions = [];
  }

  sendGetRequestAsync(url, options) {
    return this.send(url, "GET", options);
  }

  sendPostRequestAsync(url, options) {
    const assertion = new URLSearchParams(options?.body ?? "").get("client_assertion");
    if (assertion) {
      this.assertions.push(assertion);
    }
    return this.send(url, "POST", options);
  }

  async send(url, method, options) {
    const init = { method, headers: options?.headers ?? {} };
    if (method === "POST") {
      init.body = options?.body ?? "";
    }
    const response = await fetch(url, init);
    return { headers: Object.fromEntries(response.headers.entries()), body: await response.json(), status: response.status };
  }
}

function base64url(hex) {
  return Buffer.from(hex, "hex").toString("base64url");
}

for (const resource of server.resources) {
  test(`MSAL Node certificate (thumbprintSha256), ${resource.name} resource (token ver ${resource.version})`, async () => {
    const network = new RecordingNetworkClient();
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: client.clientId,
        clientCertificate: { thumbprintSha256: client.thumbprintSha256, privateKey: client.privateKey },
        authority,
        knownAuthorities,
      },
      system: { networkClient: network },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${resource.identifierUri}/.default`] });
    assert.ok(result && result.accessToken, "no access token");
    assert.equal(result.tokenType, "Bearer");
    assert.ok(result.expiresOn.getTime() > Date.now() + 60_000, "token already expiring");

    assert.equal(network.assertions.length, 1, "expected one client assertion");
    const header = decodeProtectedHeader(network.assertions[0]);
    assert.equal(header.alg, "PS256");
    assert.equal(header["x5t#S256"], base64url(client.thumbprintSha256));
    assert.equal(header.x5t, undefined);
    assert.equal(header.x5c, undefined);
    const claims = decodeJwt(network.assertions[0]);
    assert.equal(claims.aud, `${authority}/oauth2/v2.0/token`);
    assert.equal(claims.iss, client.clientId);
    assert.equal(claims.sub, client.clientId);
    assert.equal(claims.exp - claims.nbf, 600);

    await verifyToken(result.accessToken, resource, client, CERTIFICATE_ACR);
  });
}
