-- Interactive sign-in state. Only SHA-256 digests of session ids, codes and refresh tokens are
-- stored, never the values the browser or client holds. Times are Unix seconds.

-- Browser sessions (single sign-on), live until expires.
CREATE TABLE sign_in_sessions (
    id_hash          BLOB NOT NULL PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    authenticated_at INTEGER NOT NULL,
    expires          INTEGER NOT NULL
);
CREATE INDEX sign_in_sessions_user ON sign_in_sessions (tenant_id, user_id);

-- Authorization codes: single use (redeemed_at set once), with what they stand for as one
-- document. Kept after redemption until they expire, so a replay is recognised.
CREATE TABLE authorization_codes (
    code_hash   BLOB NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    expires     INTEGER NOT NULL,
    redeemed_at INTEGER,
    payload     TEXT NOT NULL
);
CREATE INDEX authorization_codes_expires ON authorization_codes (expires);

-- Refresh-token families: one per code redemption (or password grant); revoking the family
-- voids every token in it. platform is where its code was delivered (Web, PublicClient, Spa):
-- only web clients must authenticate to refresh. deadline is the fixed end of a single-page app's
-- family.
CREATE TABLE refresh_grants (
    id         TEXT NOT NULL PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    platform   TEXT NOT NULL,
    created    INTEGER NOT NULL,
    deadline   INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_grants_user ON refresh_grants (tenant_id, user_id);

-- Refresh tokens: each is used once (used_at), its successor is issued in the same transaction;
-- presenting a used one revokes the family. expires slides: each successor gets a fresh window.
CREATE TABLE refresh_tokens (
    token_hash BLOB NOT NULL PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES refresh_grants (id) ON DELETE CASCADE,
    issued_at  INTEGER NOT NULL,
    expires    INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
