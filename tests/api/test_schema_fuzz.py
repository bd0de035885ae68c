"""Schemathesis against the app's own OpenAPI schema: no generated request gets a 5xx.

The schema is built at import from an app that is never started (FastAPI builds
it from the routes alone; a test checks it is the one the running app serves),
because schemathesis' fixture-based loader does not work with pytest 9
(``request.node._nodeid``). Each operation's requests reach the ``service``
fixture's running app in-process through schemathesis' ASGI client, used
without entering it, so schemathesis starts no second lifespan (no second
dispatcher) of its own. Every call carries a student's bearer token, so the
generated input gets past 401 to the routes' own checks.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import HOST, ASGIClient

from api.main import create_app  # tests/api/conftest.py imported it first, past its deprecation warning
from tests.api.conftest import Service

pytestmark = [pytest.mark.timeout(180)]


OPENAPI = create_app().openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)
# The student's token goes on every call (below): schemathesis neither generates nor drops an Authorization.
schema.config.generation.update(with_security_parameters=False)


def test_the_fuzzed_schema_is_the_served_one(service: Service) -> None:
    response = service.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == OPENAPI
    assert "/api/v1/submissions" in OPENAPI["paths"]


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None,  # no example database: each run explores afresh
          # One service per operation, shared by its examples on purpose; CI machines have two cores.
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_no_generated_request_gets_a_server_error(case: Any, service: Service) -> None:
    dispatcher = service.app.state.dispatcher
    token = service.headers("alice")
    response = case.call_and_validate(session=ASGIClient(cast(Any, service.app)), base_url=f"http://{HOST}",
                                      headers=token, checks=[not_a_server_error])
    assert response.request.headers["Authorization"] == token["Authorization"]
    assert service.app.state.dispatcher is dispatcher  # the lifespan ran once: the fixture's
