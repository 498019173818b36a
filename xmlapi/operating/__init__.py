"""Running the service: health and metrics endpoints, request ids, structured logs."""
