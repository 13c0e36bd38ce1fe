"""The `vcio` command."""
