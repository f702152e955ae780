"""Gap 12: bad JSON bodies are the client's fault: 400, never 500."""

from __future__ import annotations

import httpx

from tests.helpers import api_headers


async def test_invalid_utf8_and_deep_json_give_400(admin: httpx.AsyncClient) -> None:
    headers = {**api_headers(admin), "content-type": "application/json"}
    bad_utf8 = b'{"first_name": "\xff\xfe"}'
    response = await admin.post("/api/customers", content=bad_utf8, headers=headers)
    assert response.status_code == 400, response.text
    deep = b"[" * 50_000 + b"]" * 50_000
    response = await admin.post("/api/customers", content=deep, headers=headers)
    assert response.status_code == 400, response.text
    deep_object = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    response = await admin.put("/api/users/1", content=deep_object, headers=headers)
    assert response.status_code in (400, 404), response.text
