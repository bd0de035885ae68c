"""The distributed mode's broker: the Celery application, its queues, and what can be asked of the broker.

The broker carries submission ids only; the database stays the truth. The Celery
settings make a message's delivery at-least-once (acknowledged after the grading,
given back when its worker process dies, one message per process at a time), and
the lease + guarded UPDATE in ``jobs`` make every extra delivery a no-op.
"""

from __future__ import annotations

from celery import Celery
from kombu.connection import Connection

from grader.assignments import load_assignment
from grader.config import Settings
from grader.errors import ConfigError, GraderError, Unreachable
from grader.text import one_line

TASK = "grader.grade"
QUEUES = ("cpu", "gpu")
CONNECT_TIMEOUT_S = 5.0
# A message not acknowledged this long is handed out again (Redis): longer than the worst grading (~13 min).
# RabbitMQ's own consumer_timeout (30 min by default) also exceeds it.
VISIBILITY_TIMEOUT_S = 3600
TRANSPORT_OPTIONS = {
    "visibility_timeout": VISIBILITY_TIMEOUT_S,
    # Redis: a broker that stops answering (dropped packets) fails a call in seconds instead of blocking it
    "socket_timeout": CONNECT_TIMEOUT_S, "socket_connect_timeout": CONNECT_TIMEOUT_S,
    # RabbitMQ: a publish returns once the broker has taken the message
    "confirm_publish": True,
}


def celery_app(settings: Settings) -> Celery:
    """The Celery application over ``settings.broker_url``: JSON only, one message per process, late acks."""
    if not settings.broker_url:
        raise ConfigError("the distributed mode needs a broker: set GRADER_BROKER_URL "
                          "(e.g. redis://127.0.0.1:6379/0 or amqp://guest:guest@127.0.0.1:5672//)")
    app = Celery("grader", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json", accept_content=["json"],  # never pickle
        task_ignore_result=True,  # results go to the database
        task_acks_late=True,  # acknowledged once graded: a worker that dies mid-grading gives it back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a process holds one message at a time; the rest wait for free workers
        task_default_queue="cpu", task_create_missing_queues=True,
        task_time_limit=VISIBILITY_TIMEOUT_S,  # a grading that hangs past every limit loses its process
        broker_connection_retry_on_startup=True, broker_connection_max_retries=None,  # workers wait out outages
        broker_connection_timeout=CONNECT_TIMEOUT_S,
        broker_transport_options=TRANSPORT_OPTIONS,
        worker_proc_alive_timeout=60,  # a grading process starts its pool of kernels before it says ready
        worker_cancel_long_running_tasks_on_connection_loss=False,  # the lease, not the ack, guards a grading
        worker_hijack_root_logger=False,
    )
    return app


def queue_for(settings: Settings, assignment: str) -> str:
    """The queue of an assignment's submissions: ``gpu`` when its manifest says ``device = "gpu"``, else ``cpu``
    (an assignment that no longer loads goes to ``cpu``, whose worker ends the submission with the reason)."""
    try:
        return "gpu" if load_assignment(assignment, settings).manifest.device == "gpu" else "cpu"
    except GraderError:
        return "cpu"


def broker_address(settings: Settings) -> str:
    """The broker's URL with any password masked, for messages."""
    return str(Connection(settings.broker_url).as_uri()) if settings.broker_url else "(none)"


def check_broker(settings: Settings) -> None:
    """Raise ``Unreachable`` in one line if the broker does not answer within a few seconds."""
    connection = Connection(settings.broker_url, connect_timeout=CONNECT_TIMEOUT_S,
                            transport_options=TRANSPORT_OPTIONS)
    try:
        connection.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:  # kombu raises its own and the transport's errors
        reason = one_line(str(exc), 200) or type(exc).__name__
        raise Unreachable(f"cannot reach the broker at {broker_address(settings)}: {reason}") from None
    finally:
        connection.release()


def queue_depths(app: Celery) -> dict[str, int]:
    """Messages waiting in each queue of the broker; raises if the broker does not answer."""
    depths: dict[str, int] = {}
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=0, timeout=CONNECT_TIMEOUT_S)
        for queue in QUEUES:
            channel = connection.channel()
            try:
                depths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
            except connection.channel_errors:  # not declared yet: nothing was ever sent to it
                depths[queue] = 0
            finally:
                try:
                    channel.close()
                except connection.channel_errors:
                    pass
    return depths
