"""Webhook endpoints: where a tenant wants its events, with which secret."""
