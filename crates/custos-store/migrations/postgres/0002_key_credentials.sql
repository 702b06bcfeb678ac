-- Client certificates of applications (Graph keyCredentials): a JSON array of
-- {key_id, display_name, custom_key_identifier (base64), usage, key_type, start, end,
-- certificate_der (base64 DER)}. Existing applications have none.
ALTER TABLE applications ADD COLUMN key_credentials jsonb NOT NULL DEFAULT '[]'::jsonb;
