"""The service skeleton answers /healthz with the assignments on disk."""

from fastapi.testclient import TestClient

from api.main import app


def test_healthz_lists_assignments() -> None:
    response = TestClient(app).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "assignments": ["mlp-basics"]}
