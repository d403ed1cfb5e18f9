"""The VEN's own HTTP surface: GET /status (JSON) and GET /metrics (Prometheus)."""
