-- The opt-in ES256 access-token lane (issue 17, goal 6).
-- Each signing key carries a P-256 companion with the same lifecycle: its kid (NULL on keys
-- stored before this migration; the key manager adds one), its sealed PKCS#8 private key and its
-- certificate (empty while the kid is NULL).
ALTER TABLE signing_keys ADD COLUMN es256_kid TEXT;
ALTER TABLE signing_keys ADD COLUMN es256_sealed_private_key BLOB NOT NULL DEFAULT x'';
ALTER TABLE signing_keys ADD COLUMN es256_certificate_der BLOB NOT NULL DEFAULT x'';
-- The algorithm of access tokens issued for an application as a resource ('RS256' | 'ES256').
ALTER TABLE applications ADD COLUMN access_token_signing_algorithm TEXT NOT NULL DEFAULT 'RS256';
