"""The OpenADR 3.1 protocol edge: wire models written from the 3.1.0 specification, shared with the mock VTN.

Nothing in the protocol-neutral core imports this package; the edge converts once into our own models.
"""
