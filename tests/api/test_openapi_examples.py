"""Swagger UI shows each error answer as the service gives it: its own code and message, never a made-up
`additionalProp1` or another status's code."""
from __future__ import annotations

from service.web.errors import CODES


async def test_every_error_answer_in_the_document_has_its_own_example(client):
    document = await (await client.get("/api/docs/swagger.json")).json()
    seen = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                media = answer.get("content", {}).get("application/json", {"schema": {}})
                if not status.startswith(("4", "5")) or not media["schema"].get("$ref", "").endswith("/Error"):
                    continue  # /health's 503 is a health report, not an error
                example = media["example"]
                code = example["error"]["code"]
                assert code == ("invalid_parameters" if status == "400" else CODES[int(status)]), (path, status)
                assert example["error"]["message"] and "additionalProp1" not in str(example)
                seen.add(status)
    assert {"400", "429", "503"} <= seen


async def test_the_400_example_is_what_a_bad_parameter_really_gets(client):
    document = await (await client.get("/api/docs/swagger.json")).json()
    shown = document["paths"]["/data"]["get"]["responses"]["400"]["content"]["application/json"]["example"]
    real = await (await client.get("/data?limit=0")).json()
    assert real["error"]["code"] == shown["error"]["code"]
    assert real["error"]["message"] == shown["error"]["message"]
    assert set(real["error"]["fields"]) == set(shown["error"]["fields"]) == {"limit"}
