"""The mock VTN admin JSON API."""
