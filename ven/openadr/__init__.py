"""The OpenADR 2.0b protocol edge: everything that touches openleadr lives here.

VenClient (client) registers with backoff, polls, answers oadrDistributeEvent via the runtime's
async on_event(DrEvent) -> ven.events.Answer (answers maps it to a response code), passes every
Distribution (all event ids: implied cancellation is the runtime's job), offers the reports of
ReportSources (reports) and serves the VTN's requests for them (reporting), and sends oadrCreateOpt /
oadrCancelOpt (opts turns the availability core's OptSchedules into them). wire renders the messages
openleadr cannot (lxml, escaped, checked against the 2.0b schema). models turns openleadr's event dicts
into our own DrEvent (ven.events.model), once. The runtime owns event statuses, startafter randomisation
and persistence of Registration. workarounds lists every openleadr 0.5.36 bug handled here; xmlguard
refuses hostile XML before any parser sees it.
"""
