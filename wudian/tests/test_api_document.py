"""The OpenAPI document is the contract clients and the fuzzer read: each schema name stands for
one schema, each operation documents the body the server reads, and the answers every
operation may give (401, 400, 422, 404) are documented as the one Refusal."""

from __future__ import annotations

import types
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, Union, get_args, get_origin

import pytest
from django.test import Client
from ninja.params.models import ParamModel
from pydantic import BaseModel

from wudian.api import api
from wudian.core.api import Refusal

REFUSAL = {"$ref": "#/components/schemas/Refusal"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation names, at any depth of list, union, dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from models_in(field.annotation)
        return
    if get_origin(annotation) in (Union, types.UnionType) or get_args(annotation):
        for argument in get_args(annotation):
            yield from models_in(argument)


def models_of_the_api() -> Iterator[type[BaseModel]]:
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.models:
                    yield from models_in(model)
                for model in operation.response_models.values():
                    yield from models_in(model)


def test_every_schema_name_stands_for_one_schema() -> None:
    """Ninja keys the document's schemas by class name: two classes of one name would leave
    one operation documenting the other's body (cancel an outage with `reason`, when the
    server reads `note`)."""
    classes: dict[str, set[type[BaseModel]]] = defaultdict(set)
    for model in models_of_the_api():
        if issubclass(model, ParamModel) or model.__name__ == "NinjaResponseSchema":
            continue  # Ninja's own wrappers, never in the document under their names
        classes[model.__name__].add(model)
    shared = {name: sorted(c.__module__ for c in found) for name, found in classes.items()}
    assert {name: modules for name, modules in shared.items() if len(modules) > 1} == {}


def resolved(document: dict[str, Any], schema: Any) -> Any:
    """The schema with every reference replaced by what it names (and no `default: null`,
    which the document leaves out)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            return resolved(document, document["components"]["schemas"][name])
        return {
            key: resolved(document, value)
            for key, value in schema.items()
            if not (key == "default" and value is None)
        }
    if isinstance(schema, list):
        return [resolved(document, item) for item in schema]
    return schema


def body_model(path: str, method: str) -> type[BaseModel]:
    for _prefix, router in api._routers:
        for route, path_view in router.path_operations.items():
            if route != path:
                continue
            for operation in path_view.operations:
                if method in operation.methods:
                    for model in operation.models:
                        if "payload" in model.model_fields:
                            found = model.model_fields["payload"].annotation
                            assert isinstance(found, type)
                            return found
    raise LookupError(path)


@pytest.mark.parametrize(
    ("path", "reads"),
    [
        ("/outages/{outage_id}/actions/cancel", {"note"}),
        ("/workorders/{workorder_id}/actions/cancel", {"reason"}),
    ],
)
def test_each_cancel_documents_the_body_its_server_reads(
    document: dict[str, Any], path: str, reads: set[str]
) -> None:
    documented = document["paths"][f"/api/v1{path}"]["post"]["requestBody"]
    schema = resolved(document, documented["content"]["application/json"]["schema"])
    assert set(schema["properties"]) == reads
    model = body_model(path, "POST")
    assert set(model.model_fields) == reads
    assert schema["properties"] == resolved(document, model.model_json_schema())["properties"]


def test_every_request_body_is_the_schema_its_handler_validates(document: dict[str, Any]) -> None:
    for label, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        method, path = label.split(" ", 1)
        model = body_model(path.removeprefix("/api/v1"), method)
        documented = resolved(document, content["application/json"]["schema"])
        own = model.model_json_schema(ref_template="#/$defs/{model}")
        defs = own.pop("$defs", {})
        own = resolved({"components": {"schemas": defs}}, own)
        assert documented.get("properties") == own.get("properties"), label


def test_401_is_documented_with_its_challenge_wherever_a_token_is_needed(
    document: dict[str, Any],
) -> None:
    needing = [(label, op) for label, op in operations(document) if op.get("security")]
    assert len(needing) > 30
    for label, operation in needing:
        answer = operation["responses"].get("401")
        assert answer is not None, label
        assert answer["content"]["application/json"]["schema"] == REFUSAL, label
        assert "WWW-Authenticate" in answer["headers"], label


def test_400_and_422_are_documented_wherever_input_is_taken(document: dict[str, Any]) -> None:
    for label, operation in operations(document):
        responses = operation["responses"]
        if operation.get("parameters") or "requestBody" in operation:
            assert responses.get("422", {}).get("content", {}).get("application/json") == {
                "schema": REFUSAL
            }, label
        if "requestBody" in operation:
            assert "400" in responses, label


def test_every_error_answer_is_the_one_refusal(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert not [name for name in schemas if "Error" in name and name != "FieldError"]
    for label, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400 and "content" in answer:
                assert answer["content"]["application/json"]["schema"] == REFUSAL, (label, status)
    assert set(schemas["Refusal"]["properties"]) == set(Refusal.model_fields)


def test_every_list_bounds_its_page_or_offset(document: dict[str, Any]) -> None:
    bounded = 0
    for label, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] in {"page", "offset", "limit", "page_size"}:
                schema = parameter["schema"]
                kinds = schema.get("anyOf", [schema])
                assert all("maximum" in kind for kind in kinds if kind["type"] == "integer"), (
                    label,
                    parameter["name"],
                )
                bounded += 1
    assert bounded >= 5
