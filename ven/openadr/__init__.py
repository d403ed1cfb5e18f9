"""The OpenADR 2.0b protocol edge: everything that touches openleadr lives here.

VenClient (client) registers with backoff, polls, answers oadrDistributeEvent via the runtime's
async on_event(OadrEvent) -> ven.events.Answer (answers maps it to a response code and gives the
edge's own refusals), passes every Distribution (all event ids: implied cancellation is the runtime's
job) and offers ReportSources (reports). signals.event_request turns an
OadrEvent into a ven.model Request. The runtime owns event statuses, startafter randomisation and
persistence of Registration. workarounds lists every openleadr 0.5.36 bug handled here; xmlguard refuses
hostile XML before any parser sees it.
"""
