"""Which endpoints an event goes to: its type against their patterns, its data against their client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def type_matches(patterns: Sequence[str], event_type: str) -> bool:
    """No pattern = every type; a pattern is a type, or a prefix ending in `*`."""
    if not patterns:
        return True
    for pattern in patterns:
        if pattern.endswith("*"):
            if event_type.startswith(pattern[:-1]):
                return True
        elif pattern == event_type:
            return True
    return False


def client_of(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The client an event's data concern: `client_id`, `client.id`, or the client itself (client events)."""
    if isinstance(data.get("client_id"), str):
        return str(data["client_id"])
    client = data.get("client")
    if isinstance(client, Mapping) and isinstance(client.get("id"), str):
        return str(client["id"])
    if event_type.startswith("vcio.proposals.client.") and isinstance(data.get("id"), str):
        return str(data["id"])
    return None


def concerns(endpoint: Mapping[str, Any], event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether an event goes to this endpoint."""
    if not type_matches(endpoint["event_types"], event_type):
        return False
    wanted = endpoint["client_id"]
    return wanted is None or client_of(event_type, data) == str(wanted)
