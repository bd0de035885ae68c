"""``python -m grader`` runs the CLI."""

from grader.cli import app

app()
