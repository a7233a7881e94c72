"""What `threadline autograde` asks of nbgrader, run with nbgrader's own Python.

Three steps, each a JSON object on stdin and one on stdout (nbgrader's log goes to stderr); each
loads the configuration as ``nbgrader autograde`` does (nbgrader_config.py of the course directory
and Jupyter's config paths):

- ``settings``: what the configuration says (folders, gradebook, timeout, markers), touching nothing;
- ``prepare``: finds the submissions, and for each student runs
  nbgrader's own ``init_destination`` (skip / --force / newer timestamp) and ``init_assignment``
  (student and submission rows with the timestamp, files copied into autograded/, zero for a
  missing notebook); answers with what to grade.
- ``save``: for each graded notebook, writes the scores into the gradebook the way nbgrader's
  SaveAutoGrades does (auto_score, needs_manual_grade, "No response." comments) with Threadline's
  scores and notes, then runs nbgrader's AssignLatePenalties and sets nbgrader's permissions.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearHiddenTests,
    ClearSolutions,
    Execute,
)


def _app(request: dict[str, Any]) -> tuple[AutogradeApp, Autograde]:
    argv: list[str] = []
    if request.get("courseDir"):
        argv += ["--course-dir", str(request["courseDir"])]
    if request.get("force"):
        argv.append("--force")
    app = AutogradeApp()
    app.initialize(argv)
    app.coursedir.assignment_id = str(request["assignment"])
    return app, Autograde(coursedir=app.coursedir, parent=app)


def _settings(app: AutogradeApp, converter: Autograde, assignment: str) -> dict[str, Any]:
    coursedir = app.coursedir
    solutions = ClearSolutions(parent=app)
    hidden = ClearHiddenTests(parent=app)
    execute = Execute(parent=app)
    unsupported: list[str] = []
    if converter.exclude_overwriting.get(assignment):
        unsupported.append("Autograde.exclude_overwriting")
    for name in ("sanitize_preprocessors", "autograde_preprocessors"):
        if name in app.config.Autograde:
            unsupported.append(f"Autograde.{name}")
    if not execute.enabled:
        unsupported.append("Execute.enabled = False (--no-execute)")
    db_url = coursedir.db_url
    return {
        "courseDir": os.path.abspath(coursedir.root),
        "courseId": coursedir.course_id,
        "dbUrl": db_url,
        "dbFile": db_url[len("sqlite:///") :] if db_url.startswith("sqlite:///") else None,
        "sourceDir": os.path.abspath(coursedir.format_path(coursedir.source_directory, ".", assignment)),
        "submittedDir": os.path.abspath(coursedir.format_path(coursedir.submitted_directory, ".", ".")),
        "autogradedDir": os.path.abspath(coursedir.format_path(coursedir.autograded_directory, ".", ".")),
        "releaseDir": os.path.abspath(coursedir.format_path(coursedir.release_directory, ".", ".")),
        "feedbackDir": os.path.abspath(coursedir.format_path(coursedir.feedback_directory, ".", ".")),
        "timeout": execute.timeout,
        "markers": {
            "beginSolution": solutions.begin_solution_delimeter,
            "endSolution": solutions.end_solution_delimeter,
            "codeStub": dict(solutions.code_stub),
            "textStub": solutions.text_stub,
            "beginHiddenTests": hidden.begin_test_delimeter,
            "endHiddenTests": hidden.end_test_delimeter,
        },
        "unsupported": unsupported,
    }


def settings(request: dict[str, Any]) -> dict[str, Any]:
    app, converter = _app(request)
    return _settings(app, converter, app.coursedir.assignment_id)


def prepare(request: dict[str, Any]) -> dict[str, Any]:
    app, converter = _app(request)
    assignment = app.coursedir.assignment_id
    source_dir = os.path.abspath(app.coursedir.format_path(app.coursedir.source_directory, ".", assignment))
    wanted = set(request.get("students") or [])
    try:
        converter.init_notebooks()
    except NbGraderException as error:
        return {"submissions": [], "skipped": [], "failed": [], "error": str(error)}
    pattern = converter._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True)
    submissions: list[dict[str, Any]] = []
    skipped: list[str] = []
    failed: list[dict[str, str]] = []
    for folder in sorted(converter.assignments):
        match = re.match(pattern, folder)
        if match is None:
            continue
        student = match.group("student_id")
        if wanted and student not in wanted:
            continue
        converter.notebooks = converter.assignments[folder]
        if not converter.init_destination(assignment, student):
            skipped.append(student)
            continue
        try:
            converter.init_assignment(assignment, student)
        except NbGraderException as error:
            failed.append({"student": student, "reason": str(error)})
            continue
        dest = os.path.abspath(converter._format_dest(assignment, student))
        notebooks = []
        for path in sorted(converter.notebooks):
            name = os.path.splitext(os.path.basename(path))[0]
            notebooks.append(
                {
                    "name": name,
                    "submitted": os.path.abspath(path),
                    "autograded": os.path.join(dest, f"{name}.ipynb"),
                    "source": os.path.join(source_dir, f"{name}.ipynb"),
                }
            )
        submissions.append({"student": student, "autogradedDir": dest, "notebooks": notebooks})
    missing = sorted(wanted - {s["student"] for s in submissions} - set(skipped) - {f["student"] for f in failed})
    for student in missing:
        failed.append({"student": student, "reason": f"no submission of {assignment} by {student}"})
    return {"submissions": submissions, "skipped": skipped, "failed": failed}


def _comment_cells(nb: Any) -> list[tuple[int, str]]:
    return [
        (index, cell.metadata.nbgrader["grade_id"])
        for index, cell in enumerate(nb.cells)
        if utils.is_solution(cell) or utils.is_task(cell)
    ]


def _note_targets(nb: Any, notes: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each note goes on its cell's comment, or, for a test cell (which has no comment in
    nbgrader's gradebook), on the answer cell before it (else after it), where formgrader shows it."""
    answers = _comment_cells(nb)
    positions = {
        cell.metadata.nbgrader.get("grade_id"): index
        for index, cell in enumerate(nb.cells)
        if "nbgrader" in cell.metadata
    }
    targets: dict[str, list[str]] = {}
    for grade_id, texts in notes.items():
        if not answers:
            continue
        where = positions.get(grade_id, len(nb.cells))
        own = [gid for index, gid in answers if gid == grade_id]
        before = [gid for index, gid in answers if index < where]
        target = own[0] if own else before[-1] if before else answers[0][1]
        label = "" if own else f"test {grade_id}: "
        targets.setdefault(target, []).extend(f"Threadline, {label}{text}" for text in texts)
    return targets


def save(request: dict[str, Any]) -> dict[str, Any]:
    app, converter = _app(request)
    assignment = app.coursedir.assignment_id
    db_url = app.coursedir.db_url
    saved = 0
    for submission in request["submissions"]:
        student = submission["student"]
        for notebook in submission["notebooks"]:
            name = notebook["name"]
            nb = nbformat.read(notebook["autograded"], as_version=4)
            scores: dict[str, float | None] = notebook["scores"]
            notes = _note_targets(nb, notebook.get("notes", {}))
            with Gradebook(db_url, app.coursedir.course_id) as gb:
                for cell in nb.cells:
                    if not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_task(cell)):
                        continue
                    grade_id = cell.metadata.nbgrader["grade_id"]
                    if utils.is_grade(cell) and grade_id in scores:
                        grade = gb.find_grade(grade_id, name, assignment, student)
                        grade.auto_score = scores[grade_id]
                        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
                    if utils.is_solution(cell) or utils.is_task(cell):
                        try:
                            comment = gb.find_comment(grade_id, name, assignment, student)
                        except MissingEntry:
                            continue
                        unchanged = cell.metadata.nbgrader.get("checksum") == utils.compute_checksum(cell)
                        texts = (["No response."] if unchanged and not utils.is_task(cell) else []) + notes.get(
                            grade_id, []
                        )
                        comment.auto_comment = "\n\n".join(texts) if texts else None
                gb.db.commit()
            resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student, "db_url": db_url}}
            AssignLatePenalties(parent=converter).preprocess(nb, resources)
            saved += 1
        converter.set_permissions(assignment, student)
    return {"saved": saved}


def main() -> int:
    request = json.load(sys.stdin)
    step = {"settings": settings, "prepare": prepare, "save": save}[sys.argv[1]]
    answer = step(request)
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
