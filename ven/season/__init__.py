"""`ven season`: a programme's whole season on simulated time, through the VEN of `ven run` (docs/season.md).

config (season.toml) → runner (mock VTN + VenApp on a SimulatedTimeLoop, the fleet's life behind the
gateway seam, the energy ledger) → results (the VTN's measurement, owners' outcomes, payment) → report.
"""
