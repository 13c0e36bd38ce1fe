"""One module per page: its route and the API calls that gather what it shows."""
