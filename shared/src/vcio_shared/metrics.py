"""Prometheus metrics shared by every service."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("vcio_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "vcio_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter("vcio_events_published_total", "Events published to JetStream from the outbox")
JETSTREAM_REFUSALS = Counter(
    "vcio_jetstream_refusals_total", "JetStream requests refused, such as a publish the stream would not store"
)
EVENTS_CONSUMED = Counter("vcio_events_consumed_total", "Events consumed", ["consumer", "outcome"])
EVENTS_DEAD = Counter("vcio_events_dead_lettered_total", "Events sent to the dead-letter table", ["consumer"])
