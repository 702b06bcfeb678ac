-- Interactive sign-in state. Only SHA-256 digests of session ids, codes and refresh tokens are
-- stored, never the values the browser or client holds. Times are Unix seconds.

-- Browser sessions (single sign-on), live until expires.
CREATE TABLE sign_in_sessions (
    id_hash          bytea NOT NULL PRIMARY KEY,
    tenant_id        uuid NOT NULL,
    user_id          uuid NOT NULL,
    authenticated_at bigint NOT NULL,
    expires          bigint NOT NULL
);
CREATE INDEX sign_in_sessions_user ON sign_in_sessions (tenant_id, user_id);

-- Authorization codes: single use (redeemed_at set once), with what they stand for as one
-- document. Kept after redemption until they expire, so a replay is recognised.
CREATE TABLE authorization_codes (
    code_hash   bytea NOT NULL PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    grant_id    uuid NOT NULL,
    expires     bigint NOT NULL,
    redeemed_at bigint,
    payload     jsonb NOT NULL
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires);

-- Refresh-token families: one per code redemption (or password grant); revoking the family
-- voids every token in it. platform is where its code was delivered (Web, PublicClient, Spa):
-- only web clients must authenticate to refresh. deadline is the fixed end of a single-page app's
-- family.
CREATE TABLE refresh_grants (
    id         uuid NOT NULL PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    client_id  uuid NOT NULL,
    platform   text NOT NULL,
    created    bigint NOT NULL,
    deadline   bigint,
    revoked_at bigint
);
CREATE INDEX refresh_grants_user ON refresh_grants (tenant_id, user_id);

-- Refresh tokens: each is used once (used_at), its successor is issued in the same transaction;
-- presenting a used one revokes the family. expires slides: each successor gets a fresh window.
CREATE TABLE refresh_tokens (
    token_hash bytea NOT NULL PRIMARY KEY,
    grant_id   uuid NOT NULL REFERENCES refresh_grants (id) ON DELETE CASCADE,
    issued_at  bigint NOT NULL,
    expires    bigint NOT NULL,
    used_at    bigint
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
