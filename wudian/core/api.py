"""What every router of the JSON API shares: the refusal schema, bounded pagination, a strict
JSON parser, and the responses every operation documents. The root API (`wudian/api.py`)
uses them; the refusals themselves are mapped there, once."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.pagination import LimitOffsetPagination, PageNumberPagination
from ninja.parser import Parser
from pydantic import ConfigDict

# Pagination ceilings: far beyond any real list (100 a page), and small enough that the
# offset they make fits every database's integers.
MAX_PAGE = 10_000
MAX_PAGE_SIZE = 100
MAX_OFFSET = MAX_PAGE * MAX_PAGE_SIZE
# The largest key a row can have (a signed 64-bit integer on every database): a list of ids
# beyond it is refused rather than overflow the database driver.
MAX_ID = 2**63 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class FieldError(Schema):
    loc: list[str | int] = Field(description="Where: `body`, `query` or `path`, then the field")
    msg: str
    type: str


class Refusal(Schema):
    """Every refusal and error of the API: `detail` says why in the user's language; the
    fields at fault are in `errors`; some refusals add details of their own (`rule`: the key
    of the notice rule broken; `conflict`: the id of a conflicting outage)."""

    model_config = ConfigDict(extra="allow")

    detail: str
    errors: list[FieldError] | None = None
    rule: str | None = None
    conflict: int | None = None


# Pagination ---------------------------------------------------------------------------------


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


class PageNumbers(PageNumberPagination):
    """Page numbers, at most MAX_PAGE of them; a larger page is refused with 422."""

    Input = PageQuery  # type: ignore[assignment]


class SliceQuery(Schema):
    limit: int = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class LimitOffset(LimitOffsetPagination):
    """`limit` and `offset`, both bounded; beyond them the request is refused with 422.
    The default pagination of `@paginate` (NINJA_PAGINATION_CLASS)."""

    Input = SliceQuery  # type: ignore[assignment]


# Parsing ------------------------------------------------------------------------------------


class BodyNotUsable(ValueError):
    """A JSON body that cannot be used; `str()` says why in the user's language."""


def _refuse_constant(name: str) -> Any:
    raise BodyNotUsable(
        _("The request body contains %(value)s, which JSON does not allow.") % {"value": name}
    )


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BodyNotUsable(
            _("The request body contains a number too large to use: %(value)s.")
            % {"value": text[:20]}
        )
    return value


def _nul_errors(value: Any, loc: list[str | int]) -> list[dict[str, Any]]:
    """Where text holds a NUL character, which no database column can store."""
    if isinstance(value, str):
        if "\x00" in value:
            return [{"loc": loc, "msg": str(NUL_MESSAGE), "type": "string_nul"}]
        return []
    if isinstance(value, dict):
        errors = []
        for key, item in value.items():
            errors += _nul_errors(key, [*loc, "(key)"]) + _nul_errors(item, [*loc, key])
        return errors
    if isinstance(value, list):
        return [
            error for index, item in enumerate(value) for error in _nul_errors(item, [*loc, index])
        ]
    return []


NUL_MESSAGE = gettext_lazy("Text may not contain the NUL character (\\u0000).")


class StrictJsonParser(Parser):
    """JSON as RFC 8259 has it: no NaN or Infinity, no unpaired surrogates (text that is not
    Unicode), no numbers beyond a float; and no NUL characters in any text, whatever the
    database. An unusable body raises BodyNotUsable (Ninja answers 400 for it); NUL raises a
    ValidationError (the root API answers 422)."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyNotUsable(_("The request body is not UTF-8 text.")) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
            # Any unpaired surrogate (an escaped \ud800 alone) makes the text unencodable.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
            errors = _nul_errors(data, ["body"])
        except RecursionError:
            raise BodyNotUsable(_("The request body is nested too deeply.")) from None
        except json.JSONDecodeError:
            raise BodyNotUsable(_("The request body is not valid JSON.")) from None
        except UnicodeEncodeError:
            raise BodyNotUsable(
                _("The request body contains an unpaired surrogate (\\ud800–\\udfff): not text.")
            ) from None
        if errors:
            raise ValidationError(errors)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        where = "query" if data is request.GET else "form"
        errors = [
            error
            for key, values in data.lists()
            for value in values
            for error in _nul_errors(key, [where, "(key)"]) + _nul_errors(value, [where, key])
        ]
        if errors:
            raise ValidationError(errors)
        return super().parse_querydict(data, list_fields, request)


# The document -------------------------------------------------------------------------------

REF = "#/components/schemas/Refusal"


def _answer(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF}}},
        **extra,
    }


class DocumentedAPI(NinjaAPI):
    """The root API, whose document states the answers every operation may give besides its
    own: 401 (with WWW-Authenticate) where a token is needed, 422 where it takes input, 400
    where it takes a body, 404 where its path names something — all as a Refusal."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in _refusal_definitions().items():
            components.setdefault(name, definition)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                _document_answers(operation)
        return schema


def _refusal_definitions() -> dict[str, Any]:
    definition = Refusal.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = definition.pop("$defs", {})
    return {"Refusal": definition, **nested}


def _document_answers(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        answer = responses.setdefault(401, _answer("No valid, unexpired bearer token"))
        answer.setdefault("headers", {})["WWW-Authenticate"] = {
            "description": '`Bearer`, with `error="invalid_token"` when a token was sent',
            "schema": {"type": "string"},
        }
    if parameters or "requestBody" in operation:
        responses.setdefault(422, _answer("The input cannot be used (fields in `errors`)"))
    if "requestBody" in operation:
        responses.setdefault(400, _answer("The body is not usable JSON"))
    if any(parameter.get("in") == "path" for parameter in parameters):
        responses.setdefault(404, _answer("No such thing, or outside the caller's scope"))
