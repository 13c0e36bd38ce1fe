"""proposals: clients, proposals from published packages, the client page, HTML and PDF."""
