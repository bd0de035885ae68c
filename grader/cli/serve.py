"""``grader serve``: the grading service in one process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from grader.cli.output import err, guard, need_service
from grader.config import get_settings
from grader.sandbox import tool_paths, warn_unsandboxed


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.", metavar="ADDRESS")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", metavar="PORT")] = 8000,
    workers: Annotated[int | None, typer.Option(help="Grading processes (default: GRADER_WORKERS).",
                                                        metavar="N")] = None,
) -> None:
    """Run the grading service: migrations, the sandboxed pool and the API, in one process."""
    need_service()
    import uvicorn

    from api.main import create_app

    settings = guard(get_settings)
    if settings.sandbox:
        guard(tool_paths)  # refuse to start without bubblewrap
    else:
        warn_unsandboxed()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    err.print(f"grader: sign in at http://{host}:{port}/login with a roster token; API docs at /docs",
              highlight=False, soft_wrap=True)
    uvicorn.run(create_app(settings, workers=workers), host=host, port=port, log_level="info")
