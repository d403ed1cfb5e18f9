"""The OpenADR 3.1 protocol edge: wire models written from the 3.1.0 specification, shared with the mock VTN.

- models, timing: the wire objects and 3.1's time conventions (shared with vtn_mock).
- convert: a 3.1 event (+ its program) into our DrEvent, once.
- client: OAuth2 client credentials and the REST calls, every refusal a typed error.
- reporting: the reports each event's reportDescriptors ask for, from the telemetry store, store and forward.
- link: what the runtime runs (registration, polling, answers, reports); webhook: notifications.

Nothing in the protocol-neutral core imports this package; the edge converts once into our own models.
"""
