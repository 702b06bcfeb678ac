-- Every committed change of what the token path caches notifies the other servers sharing the
-- database (LISTEN custos_directory / custos_keys), so they drop their copy at once instead of
-- after the cache's bounded age. NOTIFY is transactional: it is delivered on commit, and several
-- notifications of one transaction with the same payload are delivered once.

-- The payload is the tenant id of the changed row.
CREATE FUNCTION custos_notify_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('custos_directory', OLD.tenant_id::text);
    ELSE
        PERFORM pg_notify('custos_directory', NEW.tenant_id::text);
    END IF;
    RETURN NULL;
END $$;

-- The tenants table names its tenant `id`.
CREATE FUNCTION custos_notify_tenant_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('custos_directory', OLD.id::text);
    ELSE
        PERFORM pg_notify('custos_directory', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION custos_notify_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('custos_keys', '');
    RETURN NULL;
END $$;

CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant_row();
CREATE TRIGGER applications_notify AFTER INSERT OR UPDATE OR DELETE ON applications
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant();
CREATE TRIGGER identifier_uris_notify AFTER INSERT OR UPDATE OR DELETE ON identifier_uris
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant();
CREATE TRIGGER service_principals_notify AFTER INSERT OR UPDATE OR DELETE ON service_principals
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant();
CREATE TRIGGER app_role_assignments_notify AFTER INSERT OR UPDATE OR DELETE ON app_role_assignments
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant();
CREATE TRIGGER tenant_settings_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_settings
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant();
CREATE TRIGGER oauth2_permission_grants_notify AFTER INSERT OR UPDATE OR DELETE ON oauth2_permission_grants
    FOR EACH ROW EXECUTE FUNCTION custos_notify_tenant();
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH STATEMENT EXECUTE FUNCTION custos_notify_keys();
