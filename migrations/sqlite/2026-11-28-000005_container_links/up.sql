-- Finding the containers still on a shipment or in a wash batch must not scan the table.
CREATE INDEX containers_shipment ON containers (shipment_id) WHERE shipment_id IS NOT NULL;
CREATE INDEX containers_batch ON containers (batch_id) WHERE batch_id IS NOT NULL;
