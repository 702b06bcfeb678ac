-- Graph properties of applications and service principals that custos stores and returns but
-- does not act on (notes, tags, info, optionalClaims, web.homePageUrl, homepage, ...): one JSON
-- document per object
-- (custos_core::app_properties::ApplicationProperties, ServicePrincipalProperties), written by
-- PATCH and read by GET.
ALTER TABLE applications ADD COLUMN properties jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE service_principals ADD COLUMN properties jsonb NOT NULL DEFAULT '{}'::jsonb;
