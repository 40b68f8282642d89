"""The served OpenAPI 3 document: valid under the reference validator, every answer documented, nothing untyped."""
from __future__ import annotations

from openapi_spec_validator import validate

ERROR_REF = "#/components/schemas/Error"
# what each route can answer besides its success (rate limit: every route but /health and /metrics)
EXPECTED_ERRORS = {
    ("/", "get"): {429},
    ("/health", "get"): {503},
    ("/data", "get"): {304, 400, 429, 503},
    ("/history", "get"): {304, 400, 429, 503},
    ("/assets/{symbol}", "get"): {400, 404, 429, 503},
    ("/stats", "get"): {429, 503},
    ("/runs", "get"): {400, 429, 503},
    ("/runs/{id}", "get"): {400, 404, 429, 503},
    ("/compare-runs", "get"): {400, 404, 429, 503},
    ("/rejects", "get"): {400, 429, 503},
    ("/etl/run", "post"): {401, 404, 409, 429, 503},
    ("/candles", "get"): {304, 400, 429, 503},
    ("/dashboard", "get"): {429},
    ("/identity/candidates", "get"): {400, 429, 503},
}


async def served_document(client) -> dict:
    response = await client.get("/api/docs/swagger.json")
    assert response.status == 200
    return await response.json()


async def test_served_document_is_valid_openapi_3(client):
    document = await served_document(client)
    assert document["openapi"].startswith("3.0")
    validate(document)  # raises on any error; the old Swagger 2 document had 24


async def test_every_status_each_route_answers_is_documented_with_the_error_envelope(client):
    document = await served_document(client)
    for (path, method), statuses in EXPECTED_ERRORS.items():
        responses = document["paths"][path][method]["responses"]
        assert statuses <= {int(code) for code in responses}, (path, method, sorted(responses))
        for status in statuses - {304, 503} if path == "/health" else statuses - {304}:
            schema = responses[str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": ERROR_REF}, (path, status)
        for status in statuses & {429, 503}:
            if path != "/health":
                assert "Retry-After" in responses[str(status)]["headers"], (path, status)
    envelope = document["components"]["schemas"]["Error"]["properties"]
    assert set(envelope) == {"error", "request_id"}
    assert document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]["text/plain"]


async def test_etl_run_declares_the_bearer_scheme_and_no_route_has_a_head_twin(client):
    document = await served_document(client)
    schemes = document["components"]["securitySchemes"]
    (name, scheme), = schemes.items()
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert document["paths"]["/etl/run"]["post"]["security"] == [{name: []}]
    assert all("security" not in op for path, ops in document["paths"].items() if path != "/etl/run"
               for op in ops.values())
    for path, operations in document["paths"].items():
        assert "head" not in operations, path
        for operation in operations.values():
            assert "produces" not in operation  # Swagger 2 only


def _untyped(node, where="") -> list[str]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" not in node and node.get("additionalProperties") in (
                None, {}, True):
            found.append(where)
        for key, value in node.items():
            found += _untyped(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _untyped(value, f"{where}[{index}]")
    return found


async def test_no_untyped_objects_and_numeric_bounds_are_numbers(client):
    document = await served_document(client)
    assert _untyped(document) == []
    drift = document["components"]["schemas"]["Run"]["properties"]["drift"]
    assert (drift.get("$ref") or drift["allOf"][0]["$ref"]).endswith("/Drift")
    data = {p["name"]: p for p in document["paths"]["/data"]["get"]["parameters"]}
    assert data["min_price"]["schema"]["minimum"] == 0 and data["max_price"]["schema"]["minimum"] == 0
    quote = document["components"]["schemas"]["Quote"]["properties"]
    for name in ("percent_change_1h", "percent_change_7d", "ath_price_usd", "ath_at", "high_24h_usd",
                 "low_24h_usd", "fully_diluted_valuation_usd"):
        assert quote[name]["nullable"] is True, name
    anomalies = document["components"]["schemas"]["Anomalies"]["properties"]
    assert set(anomalies) == {"record_count_changed_by_more_than_half", "duration_more_than_doubled",
                              "success_turned_into_failure", "success_with_zero_rows"}
    assert all(flag["description"] for flag in anomalies.values())


async def test_every_json_success_schema_declares_request_id_and_latency(client):
    document = await served_document(client)
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not status.startswith("2") or "application/json" not in answer.get("content", {}):
                    continue
                name = answer["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert {"request_id", "api_latency_ms"} <= set(schemas[name]["properties"]), (path, method, name)
