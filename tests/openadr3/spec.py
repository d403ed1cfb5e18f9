"""The OpenADR 3.1.0 OpenAPI document, for checking our traffic against the specification itself.

Found through V2X_OPENADR3_SPEC, else ../shared/openadr3/3.1.0/openadr3.yaml beside the repository (CI
has it); tests that need it skip, saying so, where it is absent. The document is never copied into the
repository. Where it contradicts itself, `ERRATA` patches the in-memory copy, each with the reason.
"""

from __future__ import annotations

import copy
import os
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_ENV = "V2X_OPENADR3_SPEC"
DEFAULT_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "openadr3" / "3.1.0" / "openadr3.yaml"


def spec_path() -> Path | None:
    path = Path(os.environ.get(SPEC_ENV) or DEFAULT_SPEC)
    return path if path.is_file() else None


def require_spec() -> Path:
    path = spec_path()
    if path is None:
        pytest.skip(f"OpenADR 3.1 spec not found: set {SPEC_ENV} (default {DEFAULT_SPEC})")
    return path


def _patch_objecttype_conflict(spec: dict[str, Any]) -> None:
    """`ven` is allOf [objectMetadata, BlVenRequest] and `resource` allOf [objectMetadata,
    BlResourceRequest]: objectMetadata wants objectType VEN/RESOURCE (objectTypes), the request schemas
    want BL_VEN_REQUEST/BL_RESOURCE_REQUEST, so no ven or resource object can be valid. The Definition's
    information model says a ven's objectType is VEN: the request schemas' enum is dropped when they are
    used inside the object schemas."""
    schemas = spec["components"]["schemas"]
    for obj, request in (("ven", "BlVenRequest"), ("resource", "BlResourceRequest")):
        relaxed = copy.deepcopy(schemas[request])
        relaxed["properties"]["objectType"] = {"type": "string"}
        relaxed["required"] = [r for r in relaxed["required"] if r != "objectType"]
        schemas[f"{request}AsObject"] = relaxed
        schemas[obj]["allOf"][1] = {"$ref": f"#/components/schemas/{request}AsObject"}


def _patch_targets_default(spec: dict[str, Any]) -> None:
    """BlVenRequest.targets has `default: null          -` (a stray dash in the YAML): the string
    "null          -" is no array, and the document does not pass OpenAPI validation. Default null meant."""
    spec["components"]["schemas"]["BlVenRequest"]["properties"]["targets"]["default"] = None


ERRATA = (_patch_targets_default, _patch_objecttype_conflict)


class _Loader(yaml.SafeLoader):
    """YAML as JSON would read it: the document's example timestamps stay strings."""


_Loader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def _document() -> dict[str, Any]:
    with require_spec().open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    for patch in ERRATA:
        patch(spec)
    return spec


def openapi_for(base_url: str) -> OpenAPI:
    spec = copy.deepcopy(_document())
    spec["servers"] = [{"url": base_url}]
    return OpenAPI.from_dict(spec)


@dataclass
class _Request:
    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass
class _Response:
    status_code: int
    data: bytes | None
    content_type: str
    headers: Headers


class SpecChecker:
    """Validates responses of a server at `base_url` (…/openadr3/3.1.0) against the specification."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url.rstrip("/")
        self._openapi = openapi_for(self._base)
        self.checked = 0
        self.requests_checked = 0

    def check(
        self,
        method: str,
        url: str,
        status: int,
        body: bytes,
        content_type: str,
        *,
        request_body: bytes | None = None,
        request_type: str = "application/json",
    ) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        request = _Request(
            host_url=origin,
            path=parts.path,
            method=method.lower(),
            body=request_body,
            content_type=request_type,
            parameters=RequestParameters(query=ImmutableMultiDict(parse_qsl(parts.query))),
        )
        response = _Response(status, body, content_type, Headers({"Content-Type": content_type}))
        self._openapi.validate_response(request, response)
        self.checked += 1

    def check_request(
        self, method: str, url: str, body: bytes | None, content_type: str, authorization: str | None = None
    ) -> None:
        """Validates a request (path, query, body; security with `authorization`) against the spec."""
        parts = urlsplit(url)
        headers = ImmutableMultiDict({"Authorization": authorization} if authorization else {})
        request = _Request(
            host_url=f"{parts.scheme}://{parts.netloc}",
            path=parts.path,
            method=method.lower(),
            body=body,
            content_type=content_type,
            parameters=RequestParameters(query=ImmutableMultiDict(parse_qsl(parts.query)), header=headers),
        )
        with warnings.catch_warnings():
            # openapi-core checks no oauth2 scheme (it warns, then treats the scheme as satisfied); the
            # bearer token itself is the VTN's to check.
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            self._openapi.validate_request(request)
        self.requests_checked += 1
