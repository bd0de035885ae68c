"""The service skeleton answers /healthz with the assignments on disk."""

from fastapi.testclient import TestClient

from api.main import app
from grader.assignments import list_assignments


def test_healthz_lists_assignments() -> None:
    response = TestClient(app).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "assignments": list_assignments()}
    assert "mlp-basics" in response.json()["assignments"]
