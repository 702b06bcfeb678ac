// Shared by the MSAL Node suites: the environment test_node.py passes, and token validation the way a
// resource server does it (discovery, JWKS, signature) plus every contract claim of entra-wire.md §4.
//
// Environment (set by tests/interop/python/test_node.py): CUSTOS_INTEROP_URL, CUSTOS_INTEROP_TENANT_ID,
// CUSTOS_INTEROP_RESOURCES (JSON [{name, identifierUri, appId, version}]), NODE_EXTRA_CA_CERTS (the
// server's development CA); each suite reads its client's variables with `required`.
import assert from "node:assert/strict";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";

export const ROLE = "Data.Read";
const SKEW_S = 300;
const CLOCK_TOLERANCE_S = 120;

export function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run this suite through tests/interop/python/test_node.py)`);
  return value;
}

export const server = {
  url: required("CUSTOS_INTEROP_URL"),
  tenantId: required("CUSTOS_INTEROP_TENANT_ID"),
  resources: JSON.parse(required("CUSTOS_INTEROP_RESOURCES")),
};
assert.ok(Array.isArray(server.resources) && server.resources.length > 0, "CUSTOS_INTEROP_RESOURCES is empty");

/** The authority MSAL Node is given, and the host it must trust without instance discovery. */
export const authority = `${server.url}/${server.tenantId}`;
export const knownAuthorities = [new URL(server.url).host];

async function discovery(version) {
  const path = version === "2.0" ? "v2.0/.well-known/openid-configuration" : ".well-known/openid-configuration";
  const response = await fetch(`${authority}/${path}`);
  assert.equal(response.status, 200, `discovery ${version}: HTTP ${response.status}`);
  return response.json();
}

/** `exp - iat` of an application's token (Entra's 60-90 minutes) and of a managed identity's (24 h + skew). */
export const APP_LIFETIME_S = [3600, 5400];
export const MI_LIFETIME_S = [86_399 + SKEW_S, 86_399 + SKEW_S];

/**
 * Verifies an access token for `resource` issued to `client` ({clientId, clientObjectId}); `acr` is the
 * expected `appidacr`/`azpacr`: "1" for a secret, "2" for a certificate or a managed identity; `lifetime`
 * the [min, max] of `exp - iat`.
 */
export async function verifyToken(token, resource, client, acr, lifetime = APP_LIFETIME_S) {
  const metadata = await discovery(resource.version);
  const issuer = resource.version === "2.0" ? `${authority}/v2.0` : `${authority}/`;
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
  assert.equal(claims.tid, server.tenantId);
  assert.equal(claims.oid, client.clientObjectId);
  assert.equal(claims.sub, claims.oid);
  assert.equal(claims.idtyp, "app");
  assert.equal(claims.ver, resource.version);
  if (resource.version === "1.0") {
    assert.equal(claims.appid, client.clientId);
    assert.equal(claims.appidacr, acr);
    assert.equal(claims.idp, issuer);
    assert.equal(claims.azp, undefined);
  } else {
    assert.equal(claims.azp, client.clientId);
    assert.equal(claims.azpacr, acr);
    assert.equal(claims.appid, undefined);
  }
  assert.deepEqual(claims.roles, [ROLE]);
  for (const opaque of ["uti", "aio", "rh"]) {
    assert.ok(typeof claims[opaque] === "string" && claims[opaque].length > 0, `${opaque} missing`);
  }
  assert.equal(claims.scp, undefined);
  assert.equal(claims.iat, claims.nbf);
  const issued = claims.exp - claims.iat;
  assert.ok(issued >= lifetime[0] && issued <= lifetime[1], `exp - iat = ${issued}`);
  assert.ok(Math.abs(claims.iat - (Date.now() / 1000 - SKEW_S)) <= CLOCK_TOLERANCE_S, `iat ${claims.iat} is not now - 300`);
}
