"""Errors of the 3.1 API, each answered as the specification's `problem` object (Definition, "Problem")."""

from __future__ import annotations

from http import HTTPStatus


class ProblemError(Exception):
    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def bad_request(detail: str) -> ProblemError:
    return ProblemError(HTTPStatus.BAD_REQUEST, detail)


def forbidden(detail: str) -> ProblemError:
    return ProblemError(HTTPStatus.FORBIDDEN, detail)


def not_found(what: str) -> ProblemError:
    return ProblemError(HTTPStatus.NOT_FOUND, f"no {what}")


def conflict(detail: str) -> ProblemError:
    return ProblemError(HTTPStatus.CONFLICT, detail)
