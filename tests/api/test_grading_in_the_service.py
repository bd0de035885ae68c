"""What the dispatcher does with a stored submission: the upload's limit holds at grading, an ungradable file
ends ``rejected``, and the notebook as it ran is kept for the instructor's pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from sqlalchemy import select

from grader.notebook import cap_outputs
from grader.service.db import session_scope
from grader.service.records import Submission, User
from tests.api.conftest import PEOPLE, Service, StartService
from tests.utils.toy import toy_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _padded_toy(size: int) -> bytes:
    nb = toy_notebook()
    nb.cells.append(new_markdown_cell("x" * size))
    return nbformat.writes(nb).encode()


def test_a_notebook_within_the_assignments_own_limit_is_graded_not_errored(
        start_service: StartService, exercises_with_policy: Callable[[str], Path]) -> None:
    # The setting allows 20 kB, the assignment 1 MiB: the upload and the grading must both use 1 MiB.
    service = start_service(exercises_dir=exercises_with_policy("max_upload_mib = 1"), max_notebook_bytes=20_000)
    accepted = service.submit("alice", _padded_toy(100_000))
    assert accepted.status_code == 202, accepted.text
    body = service.wait_final(accepted.json()["id"])
    assert body["status"] == "graded" and body["result"]["score"] == 4.0


def test_a_stored_file_that_is_not_a_notebook_ends_rejected(service: Service) -> None:
    spoiled = service.settings.data_dir / "notebooks" / "spoiled.ipynb"
    spoiled.parent.mkdir(parents=True, exist_ok=True)
    spoiled.write_text("no longer JSON", encoding="utf-8")  # e.g. the disk changed under the service
    with session_scope(service.app.state.engine) as session:
        alice = session.scalars(select(User).where(User.email == PEOPLE["alice"][1])).one()
        row = Submission(assignment_id="toy", user_id=alice.id, notebook_sha256="0" * 64, notebook_path=str(spoiled))
        session.add(row)
        session.flush()
        submission_id = row.id
    service.app.state.dispatcher.wake()
    body = service.wait_final(submission_id)
    assert body["status"] == "rejected" and body["result"] is None and "not JSON" in body["error"]


def test_the_executed_notebook_is_kept_with_its_outputs(start_service: StartService) -> None:
    service = start_service()
    nb = toy_notebook()
    nb.cells.append(new_code_cell("print('kept output')"))
    accepted = service.submit("alice", nbformat.writes(nb).encode())
    body = service.wait_final(accepted.json()["id"])
    assert body["status"] == "graded"
    with session_scope(service.app.state.engine) as session:
        row = session.get(Submission, accepted.json()["id"])
        assert row is not None and row.result is not None and row.result.executed_path
        executed = json.loads(Path(row.result.executed_path).read_text(encoding="utf-8"))
    outputs = [o for cell in executed["cells"] if cell["cell_type"] == "code" for o in cell["outputs"]]
    assert any("kept output" in "".join(o.get("text", "")) for o in outputs)
    assert all(cell.get("execution_count") for cell in executed["cells"] if cell["cell_type"] == "code")


def test_capping_replaces_the_largest_outputs_with_a_note_until_the_notebook_fits() -> None:
    nb = toy_notebook("print('small')", "print('big')")
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="small\n")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="y" * 50_000)]
    capped = cap_outputs(nb, 10_000)
    assert len(json.dumps(capped)) <= 10_000
    assert capped.cells[0].outputs[0].text == "small\n"
    assert "dropped" in capped.cells[1].outputs[0].text and nb.cells[1].outputs[0].text == "y" * 50_000
    assert cap_outputs(nb, 10_000_000) is nb  # small enough: untouched
