"""Liveness, readiness and metrics of the running service (lifespan entered)."""

from __future__ import annotations

import subprocess
import sys

from grader.assignments import list_assignments
from grader.config import REPO_ROOT
from tests.api.conftest import Service

# The same warning filters as pyproject's: a warning at import is an error.
IMPORT_STRICTLY = """
import warnings
warnings.simplefilter("error")
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"jupyter_client\\..*|jupyter_core\\..*")
import api.main
"""


def test_healthz_lists_the_assignments_of_its_settings(service: Service) -> None:
    response = service.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "assignments": ["toy"]}
    assert response.json()["assignments"] == list_assignments(service.settings)


def test_readyz_is_ready_while_the_dispatcher_runs(service: Service) -> None:
    response = service.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": True, "workers": True, "mode": "embedded",
                               "broker": None, "queues": None}


def test_metrics_are_prometheus_text(service: Service) -> None:
    response = service.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "grader_queue_depth" in response.text


def test_the_service_imports_without_warnings() -> None:
    proc = subprocess.run([sys.executable, "-c", IMPORT_STRICTLY], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_openapi_docs_are_served(service: Service) -> None:
    assert service.client.get("/docs").status_code == 200
    paths = service.client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/submissions", "/api/v1/submissions/{submission_id}", "/api/v1/assignments",
            "/api/v1/assignments/{assignment_id}/submissions", "/api/v1/assignments/{assignment_id}/gradebook",
            "/healthz", "/readyz"} <= set(paths)


def test_readyz_says_so_when_the_dispatcher_is_down(service: Service) -> None:
    service.app.state.dispatcher.stop()
    response = service.client.get("/readyz")
    assert response.status_code == 503 and response.json()["workers"] is False
