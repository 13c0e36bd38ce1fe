"""The streams whose events go out as webhooks, each with the subject prefix it holds: the four services' and
this service's own (an endpoint disabled is news to the other endpoints)."""

STREAMS = {
    "CATALOG": "catalog",
    "PROPOSALS": "proposals",
    "BILLING": "billing",
    "SCHEDULER": "scheduler",
    "STRATEGY": "strategy",
    "INTEGRATIONS": "integrations",
}
