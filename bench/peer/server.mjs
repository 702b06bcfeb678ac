// The token benchmark's peer (performance.md §3): node-oidc-provider as a cluster of one worker
// per core, issuing RS256 JWT access tokens for the client-credentials grant with
// client_secret_post, over HTTPS with the custos data directory's development certificate.
//
// Usage: node server.mjs PORT CERT_PEM KEY_PEM CLIENT_ID CLIENT_SECRET WORKERS
import cluster from "node:cluster";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import https from "node:https";
import Provider from "oidc-provider";

const [port, certPath, keyPath, clientId, clientSecret, workers] = process.argv.slice(2);
const RESOURCE = "urn:custos:bench";
const jwksPath = `${keyPath}.peer-jwks.json`;

if (cluster.isPrimary) {
  // One signing key shared by every worker, as one issuer would have.
  if (!existsSync(jwksPath)) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = privateKey.export({ format: "jwk" });
    writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...jwk, kid: "peer", alg: "RS256", use: "sig" }] }));
  }
  for (let i = 0; i < Number(workers); i++) cluster.fork();
  console.log(`peer listening on https://127.0.0.1:${port} (${workers} workers)`);
} else {
  const provider = new Provider(`https://localhost:${port}`, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_post",
    }],
    jwks: JSON.parse(readFileSync(jwksPath, "utf8")),
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        getResourceServerInfo: () => ({ scope: "", accessTokenFormat: "jwt", accessTokenTTL: 3600, jwt: { sign: { alg: "RS256" } } }),
        useGrantedResource: () => true,
      },
    },
  });
  provider.proxy = false;
  https.createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, provider.callback())
    .listen(Number(port), "127.0.0.1");
}
