// MSAL Node's interactive flows against custos: a confidential web client (`getAuthCodeUrl`,
// `acquireTokenByCode`, `acquireTokenByRefreshToken`) and a public client with PKCE on a loopback redirect.
// The pages are driven over HTTP by sign-in-driver.mjs; tokens are verified with jose (checks.mjs).
//
// Run by tests/interop/python/test_node.py, which passes, besides the variables of checks.mjs:
// CUSTOS_INTEROP_USER_UPN, CUSTOS_INTEROP_USER_PASSWORD, CUSTOS_INTEROP_USER_ID, CUSTOS_INTEROP_USER_SCOPE,
// CUSTOS_INTEROP_WEB_CLIENT_ID, CUSTOS_INTEROP_WEB_CLIENT_SECRET, CUSTOS_INTEROP_WEB_REDIRECT,
// CUSTOS_INTEROP_PUBLIC_CLIENT_ID (tests/interop/python/interactive.py provisions them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { ConfidentialClientApplication, CryptoProvider, PublicClientApplication } from "@azure/msal-node";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { authority, knownAuthorities, required, server } from "./checks.mjs";
import { drive } from "./sign-in-driver.mjs";

const user = {
  upn: required("CUSTOS_INTEROP_USER_UPN"),
  password: required("CUSTOS_INTEROP_USER_PASSWORD"),
  id: required("CUSTOS_INTEROP_USER_ID"),
};
const scope = required("CUSTOS_INTEROP_USER_SCOPE");
const web = {
  clientId: required("CUSTOS_INTEROP_WEB_CLIENT_ID"),
  clientSecret: required("CUSTOS_INTEROP_WEB_CLIENT_SECRET"),
  redirectUri: required("CUSTOS_INTEROP_WEB_REDIRECT"),
};
const publicClientId = required("CUSTOS_INTEROP_PUBLIC_CLIENT_ID");
const resource = server.resources.find((r) => scope.startsWith(`${r.identifierUri}/`));
assert.ok(resource, `no resource owns the scope ${scope}`);

const v2Issuer = `${authority}/v2.0`;
const jwks = createRemoteJWKSet(new URL(`${authority}/discovery/v2.0/keys`));

/** Verifies a delegated v2 access token of `user` for `clientId` with `azpacr` `acr`. */
async function verifyUserToken(token, clientId, acr) {
  const { payload: claims } = await jwtVerify(token, jwks, {
    issuer: v2Issuer,
    audience: resource.appId,
    algorithms: ["RS256"],
    typ: "JWT",
  });
  assert.equal(claims.ver, "2.0");
  assert.equal(claims.tid, server.tenantId);
  assert.equal(claims.oid, user.id);
  assert.equal(claims.scp, scope.slice(resource.identifierUri.length + 1));
  assert.equal(claims.azp, clientId);
  assert.equal(claims.azpacr, acr);
  assert.equal(claims.preferred_username, user.upn);
  assert.equal(claims.roles, undefined);
  assert.equal(claims.idtyp, undefined);
  assert.notEqual(claims.sub, claims.oid, "sub is pairwise, not the object id");
  return claims;
}

/** The refresh token MSAL Node keeps in its cache (it does not return it from acquireTokenByCode). */
function cachedRefreshToken(app) {
  const cache = JSON.parse(app.getTokenCache().serialize());
  const [entry] = Object.values(cache.RefreshToken ?? {});
  assert.ok(entry && entry.secret, "MSAL Node cached no refresh token");
  return entry.secret;
}

test("MSAL Node confidential client: getAuthCodeUrl, acquireTokenByCode, acquireTokenByRefreshToken", async () => {
  const app = new ConfidentialClientApplication({
    auth: { clientId: web.clientId, clientSecret: web.clientSecret, authority, knownAuthorities },
  });
  const state = randomUUID();
  const nonce = randomUUID();
  const url = await app.getAuthCodeUrl({ scopes: [scope], redirectUri: web.redirectUri, state, nonce });
  const answer = await drive(url, web.redirectUri, user.upn, user.password);
  assert.equal(answer.state, state);
  assert.ok(answer.code, `no code in ${JSON.stringify(answer)}`);

  // MSAL Node checks the ID token's nonce against the request's and the returned state against the
  // request's (with the redirect's parameters as the second argument).
  const result = await app.acquireTokenByCode(
    { code: answer.code, scopes: [scope], redirectUri: web.redirectUri, state, nonce },
    answer,
  );
  await verifyUserToken(result.accessToken, web.clientId, "1");
  assert.equal(result.account.username, user.upn);
  assert.equal(result.idTokenClaims.nonce, nonce);
  assert.equal(result.idTokenClaims.aud, web.clientId);

  const refreshToken = cachedRefreshToken(app);
  const refreshed = await app.acquireTokenByRefreshToken({ refreshToken, scopes: [scope] });
  assert.notEqual(refreshed.accessToken, result.accessToken);
  await verifyUserToken(refreshed.accessToken, web.clientId, "1");
  assert.notEqual(cachedRefreshToken(app), refreshToken, "the refresh token is rotated on use");

  // The rotated-away token is spent: using it again is refused (and revokes the grant).
  await assert.rejects(app.acquireTokenByRefreshToken({ refreshToken, scopes: [scope] }), (error) => {
    assert.equal(error.errorCode, "invalid_grant");
    return true;
  });
});

test("MSAL Node public client with PKCE on a loopback redirect", async () => {
  const app = new PublicClientApplication({ auth: { clientId: publicClientId, authority, knownAuthorities } });
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const redirectUri = "http://localhost:8472";
  const url = await app.getAuthCodeUrl({
    scopes: [scope],
    redirectUri,
    codeChallenge: challenge,
    codeChallengeMethod: "S256",
  });
  assert.match(url, /code_challenge_method=S256/);
  const answer = await drive(url, redirectUri, user.upn, user.password);
  const result = await app.acquireTokenByCode({ code: answer.code, scopes: [scope], redirectUri, codeVerifier: verifier });
  await verifyUserToken(result.accessToken, publicClientId, "0");

  // The same code twice: Entra's 54005 (already redeemed).
  await assert.rejects(
    app.acquireTokenByCode({ code: answer.code, scopes: [scope], redirectUri, codeVerifier: verifier }),
    (error) => {
      assert.equal(error.errorCode, "invalid_grant");
      assert.match(error.errorMessage, /AADSTS54005/);
      return true;
    },
  );
});
