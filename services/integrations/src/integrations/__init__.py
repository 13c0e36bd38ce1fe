"""vcio integrations: signed outbound webhooks."""
