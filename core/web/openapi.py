"""The published OpenAPI schema says every answer the API can give: besides each handler's own
success response, the error bodies of core/web/errors.py for 400, 401, 403, 404, 409, 413 and
429 (with Retry-After). Schemathesis checks the app against it (tests/core/test_api_fuzz.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
)
from litestar.params import Parameter

ERROR_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["status_code", "detail"],
    properties={
        "status_code": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.OBJECT),
    },
)
ERRORS = {
    "400": "The request is not valid; `errors` names the fields.",
    "401": "Not signed in.",
    "403": "The user's roles do not allow this, or the CSRF token is missing.",
    "404": "No such record, or one outside the user's scope.",
    "409": "Someone else changed the record; `current` holds the saved values.",
    "413": "The request body is too large.",
    "429": "Too many requests; try again after Retry-After seconds.",
}
METHODS = ("get", "put", "post", "delete", "patch")


def _response(status: str) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] | None = None
    if status == "429":
        headers = {"Retry-After": OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER))}
    return OpenAPIResponse(
        description=ERRORS[status],
        content={"application/json": OpenAPIMediaType(schema=ERROR_BODY)},
        headers=headers,
    )


def document_error_responses(app: Litestar) -> None:
    """Add the error responses to every operation of the app's (cached) schema."""
    schema = app.plugins.get(OpenAPIPlugin).provide_openapi()
    for item in (schema.paths or {}).values():
        for method in METHODS:
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for status in ERRORS:
                responses.setdefault(status, _response(status))
            operation.responses = responses


# -- request parameters that say exactly what the API accepts -------------------------------
# Schemathesis sends every value the schema allows and expects it accepted (ST202), so each
# parameter's schema is no looser than the handler's parsing: ids fit the database's integer
# columns, months and days are ISO text within the years the app plans for (2000–2100).

DATABASE_INT_MAX = 2_147_483_647  # the INTEGER (serial) columns of PostgreSQL
_YEAR = "(20[0-9]{2}|2100)"
_MONTH = "(0[1-9]|1[0-2])"
_DAY = (
    f"{_YEAR}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
    f"|{_YEAR}-(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    f"|{_YEAR}-02-(0[1-9]|1[0-9]|2[0-8])"
    "|20(0[048]|[2468][048]|[13579][26])-02-29"
)
MONTH_PATTERN = f"^({_YEAR}-{_MONTH})?$"
DAY_PATTERN = f"^({_DAY})?$"


def choice_pattern(choices: Iterable[str]) -> str:
    """One of `choices` or empty (no filter)."""
    return "^(" + "|".join(["", *(re.escape(choice) for choice in choices)]) + ")$"


RecordId = Annotated[int, Parameter(ge=1, le=DATABASE_INT_MAX, description="A record's id.")]
OptionalRecordId = Annotated[
    int, Parameter(ge=0, le=DATABASE_INT_MAX, description="A record's id; 0 for all.")
]
Month = Annotated[
    str, Parameter(pattern=MONTH_PATTERN, description="YYYY-MM; empty for the current month.")
]
Day = Annotated[str, Parameter(pattern=DAY_PATTERN, description="YYYY-MM-DD; empty for today.")]


def restrict_query_choices(
    app: Litestar, path: str, choices: Mapping[str, Sequence[str]], method: str = "get"
) -> None:
    """Name in the app's (cached) schema the values that query parameters of `path` accept
    when they are known only once the app is built (configured municipalities, the enabled
    plugins' names): each string (or each item of a list) is one of `choices` or empty."""
    schema = app.plugins.get(OpenAPIPlugin).provide_openapi()
    operation = getattr((schema.paths or {})[path], method)
    for parameter in operation.parameters or []:
        if isinstance(parameter, Reference) or parameter.name not in choices:
            continue
        for text in _string_schemas(parameter.schema):
            text.enum = ["", *choices[parameter.name]]
            text.pattern = None


def add_response_media_type(
    app: Litestar, path: str, media_type: str, status: str = "200", method: str = "get"
) -> None:
    """Document a second form of an answer (e.g. CSV besides JSON) in the app's schema."""
    schema = app.plugins.get(OpenAPIPlugin).provide_openapi()
    response = getattr((schema.paths or {})[path], method).responses[status]
    if isinstance(response, OpenAPIResponse):
        response.content = {
            **(response.content or {}),
            media_type: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
        }


def _string_schemas(schema: Schema | Reference | None) -> Iterator[Schema]:
    """The string schemas in a parameter's schema: itself, a list's items, an optional's
    alternatives."""
    if not isinstance(schema, Schema):
        return
    if schema.type == OpenAPIType.STRING:
        yield schema
    yield from _string_schemas(schema.items if not isinstance(schema.items, list) else None)
    for alternative in schema.one_of or []:
        yield from _string_schemas(alternative)
