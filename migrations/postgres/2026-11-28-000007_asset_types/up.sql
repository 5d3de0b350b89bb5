-- Each container type's GS1 asset type number, in the order the types were made; a GRAI is
-- the company prefix, this number and the container's code. Keep in step with the other tree.
ALTER TABLE container_types ADD COLUMN asset_type BIGINT NOT NULL DEFAULT 0;
UPDATE container_types SET asset_type = (
    SELECT COUNT(*) FROM container_types earlier
    WHERE earlier.created_at < container_types.created_at
       OR (earlier.created_at = container_types.created_at AND earlier.id <= container_types.id)
);
CREATE UNIQUE INDEX container_types_asset_type ON container_types (asset_type);
