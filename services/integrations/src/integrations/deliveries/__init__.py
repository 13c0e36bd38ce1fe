"""Deliveries: one event to one endpoint, its attempts and its schedule."""
