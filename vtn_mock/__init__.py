"""vtn_mock."""
