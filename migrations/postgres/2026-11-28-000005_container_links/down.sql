DROP INDEX containers_batch;
DROP INDEX containers_shipment;
