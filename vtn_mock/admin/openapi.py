"""The admin API's OpenAPI 3.1 document; its schemas come from the pydantic models the API validates with."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from vtn_mock.admin.models import EventCreate, EventModify
from vtn_mock.admin.responses import (
    ErrorOut,
    EventCreated,
    EventOut,
    OptScheduleOut,
    PerformanceOut,
    ReadingOut,
    VenOut,
)
from vtn_mock.events import STATUSES

_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "body is not JSON",
        401: "missing or wrong bearer token",
        404: "unknown event or VEN",
        409: "the event is cancelled or over",
        422: "invalid fields (field-level errors in detail)",
    }
    return {str(code): _json(_ref(ErrorOut), text[code]) for code in codes}


def _op(
    summary: str,
    responses: dict[str, Any],
    body: type[BaseModel] | None = None,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {**responses, **_errors(401)}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


@cache
def openapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        EventCreate,
        EventModify,
        EventCreated,
        EventOut,
        ErrorOut,
        PerformanceOut,
        ReadingOut,
        VenOut,
        OptScheduleOut,
    ]
    _, schemas = models_json_schema(
        [(m, "validation" if m in (EventCreate, EventModify) else "serialization") for m in models],
        ref_template=_REF,
    )
    event_id = [_path_param("event_id")]
    many = {"type": "array"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "vtn-mock admin API",
            "version": "1",
            "description": "Drive OpenADR 2.0b events at VENs and read back their answers, reports and "
            "performance. Bearer token required when bound beyond loopback.",
        },
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/events": {
                "post": _op(
                    "Create an event",
                    {"201": _json(_ref(EventCreated), "created"), **_errors(400, 422)},
                    body=EventCreate,
                ),
                "get": _op(
                    "List events",
                    {"200": _json({**many, "items": _ref(EventOut)}, "events"), **_errors(422)},
                    params=[_query_param("status", {"enum": list(STATUSES)})],
                ),
            },
            "/api/events/{event_id}": {
                "get": _op(
                    "An event with each VEN's opt answer and delivery",
                    {"200": _json(_ref(EventOut), "the event"), **_errors(404)},
                    params=event_id,
                ),
                "patch": _op(
                    "Modify an event (modificationNumber + 1)",
                    {"200": _json(_ref(EventOut), "the modified event"), **_errors(400, 404, 409, 422)},
                    body=EventModify,
                    params=event_id,
                ),
                "delete": _op(
                    "Cancel an event (modificationNumber + 1, status cancelled)",
                    {"200": _json(_ref(EventOut), "the cancelled event"), **_errors(404, 409)},
                    params=event_id,
                ),
            },
            "/api/events/{event_id}/performance": {
                "get": _op(
                    "Requested vs delivered reduction per interval (CONTRACT.md)",
                    {"200": _json(_ref(PerformanceOut), "performance"), **_errors(404)},
                    params=event_id,
                ),
            },
            "/api/vens": {
                "get": _op(
                    "Registered VENs with registration and poll times",
                    {"200": _json({**many, "items": _ref(VenOut)}, "VENs")},
                )
            },
            "/api/vens/{ven}/readings": {
                "get": _op(
                    "A VEN's latest report readings",
                    {
                        "200": _json({**many, "items": _ref(ReadingOut)}, "readings, newest first"),
                        **_errors(404),
                    },
                    params=[
                        _path_param("ven"),
                        _query_param("limit", {"type": "integer", "minimum": 1, "maximum": 10000}),
                    ],
                )
            },
            "/api/opts": {
                "get": _op(
                    "Opt schedules VENs sent (oadrCreateOpt): availability windows or one event each",
                    {"200": _json({**many, "items": _ref(OptScheduleOut)}, "opt schedules"), **_errors(404)},
                    params=[
                        _query_param("ven", {"type": "string"}),
                        _query_param("live", {"type": "boolean"}),
                    ],
                )
            },
            "/api/stream": {
                "get": _op(
                    "The dashboard's live view as server-sent events: `snapshot` (VENs with their link, "
                    "events, and the performance of the event asked for) after every change, `tick` "
                    "(time, poll ages) in between",
                    {
                        "200": {
                            "description": "an event stream",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        }
                    },
                    params=[_query_param("event", {"type": "string"})],
                )
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3.1 document"}},
                }
            },
        },
    }
