-- Graph properties of applications that custos stores and returns but does not act on (notes,
-- tags, info, optionalClaims, web.homePageUrl, ...): one JSON document
-- (custos_core::app_properties::ApplicationProperties), written by PATCH and read by GET.
ALTER TABLE applications ADD COLUMN properties jsonb NOT NULL DEFAULT '{}'::jsonb;
