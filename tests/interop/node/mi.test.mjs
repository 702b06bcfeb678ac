// MSAL Node's ManagedIdentityApplication against `custos agent` through the App Service variables
// (IDENTITY_ENDPOINT + IDENTITY_HEADER): system-assigned, user-assigned by client id and by object id, each
// token verified with jose (checks.mjs); another identity is refused.
//
// Run by tests/interop/python/test_node.py, which creates a managed identity holding the v1 resource's role,
// starts the agent and passes, besides the variables of checks.mjs: CUSTOS_INTEROP_MI_IDENTITY_ENDPOINT,
// CUSTOS_INTEROP_MI_IDENTITY_HEADER, CUSTOS_INTEROP_MI_CLIENT_ID, CUSTOS_INTEROP_MI_OBJECT_ID.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManagedIdentityApplication } from "@azure/msal-node";
import { MI_LIFETIME_S, required, server, verifyToken } from "./checks.mjs";

const MI_ACR = "2";
const identity = {
  clientId: required("CUSTOS_INTEROP_MI_CLIENT_ID"),
  clientObjectId: required("CUSTOS_INTEROP_MI_OBJECT_ID"),
};
// MSAL Node finds its source in the environment; this process serves only this suite.
process.env.IDENTITY_ENDPOINT = required("CUSTOS_INTEROP_MI_IDENTITY_ENDPOINT");
process.env.IDENTITY_HEADER = required("CUSTOS_INTEROP_MI_IDENTITY_HEADER");

const resource = server.resources.find((r) => r.version === "1.0");
assert.ok(resource, "CUSTOS_INTEROP_RESOURCES has no v1 resource");

const selections = [
  ["system-assigned", {}],
  ["user-assigned by client id", { userAssignedClientId: identity.clientId }],
  ["user-assigned by object id", { userAssignedObjectId: identity.clientObjectId }],
];

for (const [name, managedIdentityIdParams] of selections) {
  test(`MSAL Node ManagedIdentityApplication, ${name}, through custos agent`, async () => {
    const app = new ManagedIdentityApplication({ managedIdentityIdParams });
    assert.equal(app.getManagedIdentitySource(), "AppService");
    const result = await app.acquireToken({ resource: resource.identifierUri });
    assert.ok(result && result.accessToken, "no access token");
    assert.equal(result.tokenType, "Bearer");
    assert.ok(result.expiresOn.getTime() > Date.now() + 86_000_000, "not a managed identity's 24 h token");
    await verifyToken(result.accessToken, resource, identity, MI_ACR, MI_LIFETIME_S);
  });
}

test("MSAL Node ManagedIdentityApplication for another identity is refused", async () => {
  const app = new ManagedIdentityApplication({
    managedIdentityIdParams: { userAssignedClientId: "00000000-0000-0000-0000-000000000001" },
  });
  await assert.rejects(app.acquireToken({ resource: resource.identifierUri }), (error) => {
    assert.match(String(error.errorMessage ?? error.message), /Identity not found/);
    return true;
  });
});
