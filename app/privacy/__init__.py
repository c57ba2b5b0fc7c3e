"""Personal data over time: erasure on request and retention periods."""
