-- Federated identity credentials of applications and managed identities (Graph
-- federatedIdentityCredentials): a JSON array of {id, name, issuer, subject, audiences,
-- description}. Existing applications have none.
ALTER TABLE applications ADD COLUMN federated_identity_credentials TEXT NOT NULL DEFAULT '[]';
