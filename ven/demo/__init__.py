"""`ven demo`: the bundled mock VTN, a VEN and the simulated Massachusetts fleet, one DR event end to end.

One module per job: `showcase` (the example and its ≥ 1 MW event), `timeshift` (the fleet file pinned to
its program day and moved to now), `recorder` (what the simulated fleet did), `progress` (stderr lines),
`departures` (departure SOC, measured), `runner` (it all, in one event loop), `result`, `table` and `plot`
(the outputs).
"""
