"""The `ven` command line."""
