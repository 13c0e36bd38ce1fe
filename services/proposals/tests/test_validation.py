"""Query strings with an encoded NUL are refused before any route."""

import httpx

from vcio_shared.testing import auth


async def test_a_nul_in_any_query_string_is_422(client: httpx.AsyncClient) -> None:
    for path in ("/v1/audit?entity_id=a%00b", "/v1/clients?email=a%00b"):
        r = await client.get(path, headers=auth())
        assert (r.status_code, r.headers["content-type"]) == (422, "application/problem+json"), path
