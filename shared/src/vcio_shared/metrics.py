"""Prometheus metrics shared by every service."""

import json

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

_ALL: tuple[Counter | Histogram, ...] = (
    HTTP_REQUESTS,
    HTTP_LATENCY,
    EVENTS_PUBLISHED,
    JETSTREAM_REFUSALS,
    EVENTS_CONSUMED,
    EVENTS_DEAD,
)


def totals() -> dict[str, float]:
    """This process's non-zero totals of the metrics above, `'["<sample>", {labels}]' -> value`: counters'
    `_total`, histograms' cumulative `_bucket` and `_sum`. What a relay child reports to its service."""
    out: dict[str, float] = {}
    for metric in _ALL:
        for family in metric.collect():
            for sample in family.samples:
                if sample.value and sample.name.endswith(("_total", "_bucket", "_sum")):
                    out[json.dumps([sample.name, sample.labels], sort_keys=True)] = sample.value
    return out


def add_totals(report: dict[str, float], seen: dict[str, float]) -> None:
    """Add to this process's metrics what grew in `report` (another process's `totals`) since `seen`, that same
    process's previous report, then remember `report` in `seen`. Unknown samples are skipped."""
    by_name = {m._name: m for m in _ALL}  # noqa: SLF001 - the metric's name without its suffix
    buckets: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for key, value in report.items():
        delta = value - seen.get(key, 0.0)
        seen[key] = value
        if delta <= 0:
            continue
        sample, labels = json.loads(key)
        base, _, suffix = sample.rpartition("_")
        metric = by_name.get(base)
        if metric is None:
            continue
        if suffix == "total" and isinstance(metric, Counter):
            (metric.labels(**labels) if labels else metric).inc(delta)
        elif suffix == "sum" and isinstance(metric, Histogram):
            (metric.labels(**labels) if labels else metric)._sum.inc(delta)  # noqa: SLF001
        elif suffix == "bucket" and isinstance(metric, Histogram):
            le = labels.pop("le")
            buckets.setdefault((base, json.dumps(labels, sort_keys=True)), []).append((float(le), delta))
    # Buckets come cumulative (le="0.1" counts every observation up to 0.1); a histogram keeps one count per
    # bucket, so each bucket gets its growth less the growth of the bucket below it.
    for (base, labels_json), grown in buckets.items():
        histogram = by_name[base]
        assert isinstance(histogram, Histogram)
        labels = json.loads(labels_json)
        child = histogram.labels(**labels) if labels else histogram
        below = 0.0
        for le, delta in sorted(grown):
            index = child._upper_bounds.index(le)  # noqa: SLF001
            child._buckets[index].inc(delta - below)  # noqa: SLF001
            below = delta
