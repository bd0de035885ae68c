"""``grader serve`` and ``grader worker``: the grading service, embedded in one process or distributed."""

from __future__ import annotations

import logging
import os
import socket
from typing import Annotated

import typer

from grader.cli.output import err, fail, guard, need_service
from grader.config import Settings, get_settings
from grader.sandbox import tool_paths, warn_unsandboxed

QUEUE_NAMES = ("cpu", "gpu")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.", metavar="ADDRESS")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", metavar="PORT")] = 8000,
    workers: Annotated[int | None, typer.Option(help="Grading processes of the embedded mode "
                                                     "(default: GRADER_WORKERS).", metavar="N")] = None,
) -> None:
    """Run the grading service: migrations, then the API; grading in this process, or on `grader worker`s
    when GRADER_BROKER_URL names a broker."""
    need_service()
    import uvicorn

    from api.main import create_app

    settings = guard(get_settings)
    if settings.broker_url is None:
        _need_sandbox(settings)  # the embedded mode grades here
    elif workers is not None:
        fail("--workers is for the embedded mode; with GRADER_BROKER_URL set, start `grader worker`s instead")
    _check_reachable(settings)
    _log_setup()
    mode = "embedded" if settings.broker_url is None else "distributed: grading on `grader worker`s"
    err.print(f"grader ({mode}): sign in at http://{host}:{port}/login with a roster token; API docs at /docs",
              highlight=False, soft_wrap=True)
    uvicorn.run(create_app(settings, workers=workers), host=host, port=port, log_level="info")


def worker(
    queues: Annotated[str, typer.Option(help="Queues to take submissions from: cpu, gpu, or both (cpu,gpu).",
                                        metavar="QUEUES")] = "cpu",
    concurrency: Annotated[int | None, typer.Option(
        help="Grading processes, each with its warm sandboxed kernels (default: one per GPU of --gpus, "
             "else GRADER_WORKERS).", metavar="N")] = None,
    gpus: Annotated[str | None, typer.Option(
        help="GPU indices for a gpu worker, e.g. 0,1: each process binds one (CUDA_VISIBLE_DEVICES and its "
             "device nodes in the sandbox).", metavar="INDICES")] = None,
    name: Annotated[str | None, typer.Option(help="This worker's node name (default: QUEUES-PID@HOST).",
                                             metavar="NAME")] = None,
) -> None:
    """Run a grading worker for the distributed mode (GRADER_BROKER_URL): Celery over the broker, results
    in the database."""
    need_service()
    settings = guard(get_settings)
    if settings.broker_url is None:
        fail("grader worker needs a broker: set GRADER_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and the same "
             "GRADER_DATABASE_URL as grader serve")
    chosen = _queues(queues)
    if concurrency is not None and concurrency < 1:
        fail(f"--concurrency takes a number of processes, at least 1, not {concurrency}")
    devices = _gpus(gpus)
    if "gpu" in chosen and not devices:
        fail("a gpu worker needs the devices it may use: --gpus 0 (or 0,1,...)")
    if devices and "gpu" not in chosen:
        fail("--gpus is for a worker of the gpu queue: add --queues gpu")
    _need_sandbox(settings)
    _check_reachable(settings, migrated=True)
    _log_setup()
    from grader.service.worker import run_worker

    node = name or f"{'+'.join(chosen)}-{os.getpid()}@{socket.gethostname()}"
    run_worker(settings, queues=chosen, concurrency=concurrency or len(devices) or settings.workers,
               gpus=devices, node=node)


def _queues(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in QUEUE_NAMES]
    if unknown or not chosen:
        fail(f"--queues takes cpu, gpu or cpu,gpu, not {text!r}")
    return list(dict.fromkeys(chosen))


def _gpus(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    parts = [part.strip() for part in text.split(",")]
    if not all(part.isdigit() for part in parts):
        fail(f"--gpus takes device indices separated by commas, e.g. 0,1, not {text!r}")
    return tuple(dict.fromkeys(int(part) for part in parts))


def _need_sandbox(settings: Settings) -> None:
    if settings.sandbox:
        guard(tool_paths)  # refuse to start without bubblewrap
    else:
        warn_unsandboxed()


def _check_reachable(settings: Settings, *, migrated: bool = False) -> None:
    """One line and exit 2 when the database (or, in the distributed mode, the broker) does not answer."""
    from grader.service.broker import check_broker
    from grader.service.db import check_database, check_schema, make_engine

    engine = make_engine(settings)
    try:
        guard(lambda: check_database(engine))
        if migrated:
            guard(lambda: check_schema(engine))
    finally:
        engine.dispose()
    if settings.broker_url is not None:
        guard(lambda: check_broker(settings))


def _log_setup() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
