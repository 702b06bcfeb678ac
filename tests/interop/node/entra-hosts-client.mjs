// MSAL Node with its default authority (https://login.microsoftonline.com/{tenant}) and nothing else
// configured: a Graph token by client credentials, then Graph's service principals with it.
//
// Run by tests/interop/python/entra_hosts_driver.py inside a network namespace whose /etc/hosts points
// Entra's host names at custos (`serve --entra-hosts`); trust comes from NODE_EXTRA_CA_CERTS. Prints one
// JSON object: the token's issuer and audience, and the number of service principals listed.
import { ConfidentialClientApplication } from "@azure/msal-node";

const [clientId, clientSecret, tenantId] = process.argv.slice(2);
const app = new ConfidentialClientApplication({
  auth: { clientId, clientSecret, authority: `https://login.microsoftonline.com/${tenantId}` },
});
const result = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
const claims = JSON.parse(Buffer.from(result.accessToken.split(".")[1], "base64url").toString());
const response = await fetch("https://graph.microsoft.com/v1.0/servicePrincipals", {
  headers: { Authorization: `Bearer ${result.accessToken}` },
});
if (response.status !== 200) {
  throw new Error(`GET servicePrincipals: HTTP ${response.status} ${await response.text()}`);
}
const body = await response.json();
console.log(JSON.stringify({ iss: claims.iss, aud: claims.aud, servicePrincipals: body.value.length }));
