"""`make bench` (`python -m bench`): the platform's speed beside the raw speed of its own parts, in one run.

Starts throwaway servers (PostgreSQL, nats-server, the four services under uvicorn), measures each figure next
to a raw baseline taken in the same run, prints a table and writes `.bench/results.json`. Never fails on a time.
See docs/benchmarks.md.
"""
