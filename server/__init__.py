"""The provincial sync server: receives county outboxes, serves each county its change feed."""
