DROP INDEX container_types_asset_type;
ALTER TABLE container_types DROP COLUMN asset_type;
