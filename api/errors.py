"""Which HTTP status each of grader's errors is (the API's JSON and the pages' HTML agree)."""

from __future__ import annotations

from fastapi import status

from grader.errors import (DeadlinePassed, GraderError, NotebookError, NotebookTooLarge, RosterError,
                           TooManySubmissions, UnknownAssignment)

_STATUS: list[tuple[type[GraderError], int]] = [
    (UnknownAssignment, status.HTTP_404_NOT_FOUND),
    (NotebookTooLarge, status.HTTP_413_CONTENT_TOO_LARGE),
    (NotebookError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (RosterError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (DeadlinePassed, status.HTTP_403_FORBIDDEN),
]


def error_status(exc: GraderError) -> int:
    """The HTTP status that tells a client what kind of problem ``exc`` is."""
    if isinstance(exc, TooManySubmissions):
        return status.HTTP_429_TOO_MANY_REQUESTS
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), status.HTTP_500_INTERNAL_SERVER_ERROR)
