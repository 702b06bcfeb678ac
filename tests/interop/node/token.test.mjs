// MSAL Node against custos with a client secret: client credentials for a v1 and a v2 resource, tokens
// verified with jose (checks.mjs).
//
// Run by tests/interop/python/test_node.py, which starts the server, provisions the apps and passes, besides
// the variables of checks.mjs: CUSTOS_INTEROP_CLIENT_ID, CUSTOS_INTEROP_CLIENT_SECRET, CUSTOS_INTEROP_CLIENT_OBJECT_ID.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { authority, knownAuthorities, required, server, verifyToken } from "./checks.mjs";

const SECRET_ACR = "1";
const client = {
  clientId: required("CUSTOS_INTEROP_CLIENT_ID"),
  clientSecret: required("CUSTOS_INTEROP_CLIENT_SECRET"),
  clientObjectId: required("CUSTOS_INTEROP_CLIENT_OBJECT_ID"),
};

function msalApp(clientSecret) {
  return new ConfidentialClientApplication({
    auth: { clientId: client.clientId, clientSecret, authority, knownAuthorities },
  });
}

for (const resource of server.resources) {
  test(`MSAL Node client credentials, ${resource.name} resource (token ver ${resource.version})`, async () => {
    const result = await msalApp(client.clientSecret).acquireTokenByClientCredential({
      scopes: [`${resource.identifierUri}/.default`],
    });
    assert.ok(result && result.accessToken, "no access token");
    assert.equal(result.tokenType, "Bearer");
    assert.ok(result.expiresOn.getTime() > Date.now() + 60_000, "token already expiring");
    await verifyToken(result.accessToken, resource, client, SECRET_ACR);
  });
}

test("MSAL Node with a wrong secret gets invalid_client / AADSTS7000215", async () => {
  const resource = server.resources[0];
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
