"""The service in-process on the toy assignment, its lifespan entered, with two students and an instructor."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.main import create_app
from grader.config import Settings
from grader.models import FINAL_STATUSES, GradeResult, SubmissionStatus
from grader.service.db import session_scope
from grader.service.records import Role, Submission, User
from grader.service.roster import add_member
from grader.service.submissions import finish
from tests.conftest import FILES
from tests.utils.toy import toy_bytes

TOY_EXERCISES = FILES / "toy" / "exercises"
TOY_REFERENCE = FILES / "toy" / "reference"
PEOPLE = {  # who: (name, email, role)
    "alice": ("Alice Student", "alice@example.org", Role.student),
    "bob": ("Bob Student", "bob@example.org", Role.student),
    "teacher": ("Tess Instructor", "tess@example.org", Role.instructor),
}


@dataclass
class Service:
    """A running app (lifespan entered), its client and the tokens of alice, bob (students) and teacher."""

    app: FastAPI
    client: TestClient
    settings: Settings
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def submit(self, who: str | None = "alice", notebook: bytes | None = None, *, assignment: str = "toy",
               content_type: str = "application/x-ipynb+json", headers: dict[str, str] | None = None,
               ) -> httpx2.Response:
        """POST a notebook as multipart (a complete toy notebook unless given); ``who=None`` sends no token."""
        data = toy_bytes() if notebook is None else notebook
        sent = headers if headers is not None else (self.headers(who) if who else {})
        return self.client.post("/api/v1/submissions", headers=sent, data={"assignment": assignment},
                                files={"notebook": ("toy.ipynb", data, content_type)})

    def wait_final(self, submission_id: str, *, timeout: float = 60) -> dict[str, Any]:
        """Poll the API (as the instructor) until the submission has a final status; its body."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.client.get(f"/api/v1/submissions/{submission_id}", headers=self.headers("teacher"))
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            if body["status"] in FINAL_STATUSES:
                return body
            assert time.monotonic() < deadline, f"still {body['status']} after {timeout} s"
            time.sleep(0.2)

    def submission_count(self, who: str | None = None) -> int:
        query = select(func.count(Submission.id))
        if who is not None:
            query = query.join(User).where(User.email == PEOPLE[who][1])
        with session_scope(self.app.state.engine) as session:
            return int(session.scalar(query) or 0)

    def stored_files(self) -> list[Path]:
        """Every file under data_dir/notebooks, partial writes included."""
        folder = self.settings.data_dir / "notebooks"
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []

    def plant(self, who: str, result: GradeResult | None, *, executed: dict[str, Any] | None = None,
              queued_at: dt.datetime | None = None, error: str | None = None,
              status: SubmissionStatus | None = None) -> str:
        """A finished submission of ``who``, stored through ``finish`` as a grading process stores it (no kernel).

        ``executed``: the notebook as it ran, for the instructor's page; ``queued_at``: when it was submitted;
        ``error`` and ``status``: how a grading without a result ended.
        """
        folder = self.settings.data_dir / "notebooks"
        folder.mkdir(parents=True, exist_ok=True)
        submitted = folder / f"{uuid.uuid4()}.ipynb"
        submitted.write_bytes(toy_bytes())
        executed_path = None
        if executed is not None:
            executed_path = submitted.with_suffix(".executed.ipynb")
            executed_path.write_text(json.dumps(executed), encoding="utf-8")
        with session_scope(self.app.state.engine) as session:
            user = session.scalar(select(User).where(User.email == PEOPLE[who][1]))
            assert user is not None
            submission = Submission(assignment_id="toy", user_id=user.id, notebook_path=str(submitted),
                                    notebook_sha256=hashlib.sha256(submitted.read_bytes()).hexdigest(),
                                    status=SubmissionStatus.running)  # never queued: the dispatcher leaves it alone
            if queued_at is not None:
                submission.queued_at = submission.started_at = queued_at
            session.add(submission)
            session.flush()
            assert finish(session, submission.id, result=result, error=error, status=status,
                          executed_path=str(executed_path) if executed_path else None)
            return submission.id

    def users(self) -> list[tuple[str, str]]:
        """(email, role) of everyone in the users table."""
        with session_scope(self.app.state.engine) as session:
            return sorted((u.email, u.role.value) for u in session.scalars(select(User)))


StartService = Callable[..., Service]


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[StartService]:
    """Start services on the toy assignment; keyword arguments override the Settings. Each one stops at teardown."""
    with ExitStack() as stack:
        count = 0

        def start(**overrides: Any) -> Service:
            nonlocal count
            count += 1
            base = tmp_path / f"service{count}"
            options: dict[str, Any] = {
                "exercises_dir": TOY_EXERCISES, "reference_dir": TOY_REFERENCE, "cache_dir": base / "cache",
                "data_dir": base / "data", "pool_size": 1, "submissions_per_minute": 3,
            }
            settings = Settings(**{**options, **overrides})
            app = create_app(settings, workers=1)
            client = stack.enter_context(TestClient(app))  # runs the lifespan: migrations, dispatcher
            with session_scope(app.state.engine) as session:
                tokens = {who: add_member(session, name=name, email=email, role=role).token
                          for who, (name, email, role) in PEOPLE.items()}
            return Service(app, client, settings, tokens)

        yield start


@pytest.fixture
def service(start_service: StartService) -> Service:
    return start_service()


@pytest.fixture
def exercises_with_policy(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of the toy exercises whose manifest ends with the given ``[policy]`` table body."""

    def make(policy: str) -> Path:
        target = tmp_path / f"exercises-{len(list(tmp_path.glob('exercises-*')))}"
        shutil.copytree(TOY_EXERCISES, target)
        manifest = target / "toy" / "manifest.toml"
        manifest.write_text(manifest.read_text(encoding="utf-8") + f"\n[policy]\n{policy}\n", encoding="utf-8")
        return target

    return make
