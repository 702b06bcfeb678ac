// MSAL Node against custos: client credentials for a v1 and a v2 resource, tokens verified with jose.
//
// Run by tests/interop/python/test_node.py, which starts the server, provisions the apps and passes:
//   CUSTOS_INTEROP_URL, CUSTOS_INTEROP_TENANT_ID, CUSTOS_INTEROP_CLIENT_ID, CUSTOS_INTEROP_CLIENT_SECRET,
//   CUSTOS_INTEROP_CLIENT_OBJECT_ID, CUSTOS_INTEROP_RESOURCES (JSON [{name, identifierUri, appId, version}]),
//   NODE_EXTRA_CA_CERTS (the server's development CA).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";

const ROLE = "Data.Read";
const SKEW_S = 300;
const CLOCK_TOLERANCE_S = 120;

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run this suite through tests/interop/python/test_node.py)`);
  return value;
}

const config = {
  url: required("CUSTOS_INTEROP_URL"),
  tenantId: required("CUSTOS_INTEROP_TENANT_ID"),
  clientId: required("CUSTOS_INTEROP_CLIENT_ID"),
  clientSecret: required("CUSTOS_INTEROP_CLIENT_SECRET"),
  clientObjectId: required("CUSTOS_INTEROP_CLIENT_OBJECT_ID"),
  resources: JSON.parse(required("CUSTOS_INTEROP_RESOURCES")),
};
const host = new URL(config.url).host;

function msalApp(clientSecret) {
  return new ConfidentialClientApplication({
    auth: {
      clientId: config.clientId,
      clientSecret,
      authority: `${config.url}/${config.tenantId}`,
      knownAuthorities: [host],
    },
  });
}

async function discovery(version) {
  const path = version === "2.0" ? "v2.0/.well-known/openid-configuration" : ".well-known/openid-configuration";
  const response = await fetch(`${config.url}/${config.tenantId}/${path}`);
  assert.equal(response.status, 200, `discovery ${version}: HTTP ${response.status}`);
  return response.json();
}

async function verifyToken(token, resource) {
  const metadata = await discovery(resource.version);
  const issuer = resource.version === "2.0" ? `${config.url}/${config.tenantId}/v2.0` : `${config.url}/${config.tenantId}/`;
  assert.equal(metadata.issuer, issuer);
  const audience = resource.version === "2.0" ? resource.appId : resource.identifierUri;

  const header = decodeProtectedHeader(token);
  assert.equal(header.alg, "RS256");
  assert.equal(header.typ, "JWT");
  assert.ok(typeof header.kid === "string" && header.kid.length > 0, "kid missing");

  const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const { payload: claims } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ["RS256"], typ: "JWT" });

  assert.equal(claims.aud, audience);
  assert.equal(claims.iss, issuer);
  assert.equal(claims.tid, config.tenantId);
  assert.equal(claims.oid, config.clientObjectId);
  assert.equal(claims.sub, claims.oid);
  assert.equal(claims.idtyp, "app");
  assert.equal(claims.ver, resource.version);
  if (resource.version === "1.0") {
    assert.equal(claims.appid, config.clientId);
    assert.equal(claims.appidacr, "1");
    assert.equal(claims.idp, issuer);
    assert.equal(claims.azp, undefined);
  } else {
    assert.equal(claims.azp, config.clientId);
    assert.equal(claims.azpacr, "1");
    assert.equal(claims.appid, undefined);
  }
  assert.deepEqual(claims.roles, [ROLE]);
  for (const opaque of ["uti", "aio", "rh"]) {
    assert.ok(typeof claims[opaque] === "string" && claims[opaque].length > 0, `${opaque} missing`);
  }
  assert.equal(claims.scp, undefined);
  assert.equal(claims.iat, claims.nbf);
  const lifetime = claims.exp - claims.iat;
  assert.ok(lifetime >= 3600 && lifetime <= 5400, `exp - iat = ${lifetime}`);
  assert.ok(Math.abs(claims.iat - (Date.now() / 1000 - SKEW_S)) <= CLOCK_TOLERANCE_S, `iat ${claims.iat} is not now - 300`);
}

assert.ok(Array.isArray(config.resources) && config.resources.length > 0, "CUSTOS_INTEROP_RESOURCES is empty");

for (const resource of config.resources) {
  test(`MSAL Node client credentials, ${resource.name} resource (token ver ${resource.version})`, async () => {
    const result = await msalApp(config.clientSecret).acquireTokenByClientCredential({
      scopes: [`${resource.identifierUri}/.default`],
    });
    assert.ok(result && result.accessToken, "no access token");
    assert.equal(result.tokenType, "Bearer");
    assert.ok(result.expiresOn.getTime() > Date.now() + 60_000, "token already expiring");
    await verifyToken(result.accessToken, resource);
  });
}

test("MSAL Node with a wrong secret gets invalid_client / AADSTS7000215", async () => {
  const resource = config.resources[0];
  await assert.rejects(
    msalApp(`not-the-secret-${"z".repeat(24)}`).acquireTokenByClientCredential({
      scopes: [`${resource.identifierUri}/.default`],
    }),
    (error) => {
      assert.equal(error.errorCode, "invalid_client");
      assert.equal(String(error.errorNo), "7000215");
      return true;
    },
  );
});
