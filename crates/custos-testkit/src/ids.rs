//! The identifiers of the test tenant, its resource API, its client application and its managed
//! identity, in the shape Entra gives them, and the instant every fixture token is issued around.

/// The test tenant.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The resource API's application (client) id: the `aud` of v2 tokens.
pub const API_APP_ID: &str = "5f0a6a3e-0b3c-4b8e-9a51-7d3c2e1f0a99";
/// The resource API's App ID URI: the `aud` of v1 tokens.
pub const API_URI: &str = "api://5f0a6a3e-0b3c-4b8e-9a51-7d3c2e1f0a99";
/// The client application (client credentials with a secret).
pub const CLIENT_APP_ID: &str = "0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f";
/// The client application's service principal.
pub const CLIENT_OID: &str = "3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b";
/// The managed identity's application id.
pub const MI_APP_ID: &str = "6e2f1a0b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
/// The managed identity's service principal.
pub const MI_OID: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
/// The app role the client holds.
pub const ROLE: &str = "S2SAppRole";
/// Unix time the fixture tokens are issued around (`iat = NOW - 300`).
pub const NOW: i64 = 1_800_000_000;
