"""The one settings object: environment variables prefixed ``GRADER_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import (Field, NonNegativeFloat, PositiveFloat, PositiveInt, ValidationError, field_validator,
                      model_validator)
from pydantic_settings import BaseSettings, SettingsConfigDict

from grader.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
BROKER_SCHEMES = ("redis", "rediss", "amqp", "amqps", "pyamqp")


class Settings(BaseSettings):
    """Where assignments live and the limits every grading run obeys."""

    model_config = SettingsConfigDict(env_prefix="GRADER_", extra="forbid")

    exercises_dir: Path = Field(REPO_ROOT / "exercises", description="student-facing assignment folders")
    reference_dir: Path = Field(REPO_ROOT / "reference", description="reference solutions and hidden suites")
    cache_dir: Path = Field(REPO_ROOT / ".grader-cache", description="generated data files")
    data_dir: Path = Field(REPO_ROOT / ".grader-data", description="the service's database and stored notebooks")
    database_url: str | None = Field(None, description="any SQLAlchemy URL (PostgreSQL in deployment); "
                                                       "default: SQLite in WAL mode under data_dir")

    max_notebook_bytes: PositiveInt = Field(10 * MiB, description="largest notebook accepted")
    cell_timeout_s: PositiveFloat = Field(60.0, description="default wall clock per cell")
    total_timeout_s: PositiveFloat = Field(600.0, description="default wall clock for all cells")
    call_timeout_s: PositiveFloat = Field(30.0, description="default wall clock per test call into the kernel")
    exercise_budget_s: PositiveFloat = Field(
        120.0, description="default wall clock for all the tests of one exercise; past it they fail as out of time")
    suite_budget_s: PositiveFloat = Field(
        300.0, description="default wall clock for all the tests of a grading (public and hidden suites)")
    kernel_threads: PositiveInt = Field(1, description="OMP/MKL threads per kernel: parallel kernels share the cores")
    kernel_startup_timeout_s: PositiveFloat = Field(60.0, description="time a kernel gets to start")
    kernel_preload: bool = Field(True, description="waiting kernels import torch, numpy and matplotlib before "
                                                   "their submission arrives, so a notebook's own imports are "
                                                   "instant; false: lighter kernels (about 1 s to start instead "
                                                   "of 4 s here) for notebooks that import none of them")
    max_cell_output_bytes: PositiveInt = Field(MiB, description="output kept per cell; the rest is dropped")
    figures: bool = Field(True, description="draw matplotlib figures into the executed notebook the instructor "
                                            "sees (one draw per figure: ~2.5 s more on the decoding notebook "
                                            "here); false: the Agg backend, nothing drawn")
    max_executed_notebook_bytes: PositiveInt = Field(
        16 * MiB, description="largest executed notebook (with outputs) kept for the instructor's pages; "
                              "past it the largest outputs are replaced by a note")
    max_reply_bytes: PositiveInt = Field(64 * MiB, description="largest reply the kernel may send")
    max_reply_items: PositiveInt = Field(1_000_000, description="most values in one reply")
    max_reply_depth: PositiveInt = Field(32, description="deepest nesting in one reply")
    max_kernel_message_mib: PositiveInt = Field(
        128, description="largest single message taken from a kernel; a larger one (a print of more at once) "
                         "is dropped unread and its cell gets OutputLimitExceeded")

    # The sandbox (bubblewrap) every graded kernel runs in, and its limits.
    sandbox: bool = Field(True, description="run student code under bubblewrap; false only with dev")
    dev: bool = Field(False, description="a development machine: allows sandbox=false")
    sandbox_memory_mib: PositiveInt = Field(4096, description="memory per kernel (cgroup, else RLIMIT_DATA)")
    sandbox_pids: PositiveInt = Field(512, description="processes and threads per kernel (torch pools need ~30)")
    sandbox_cpu_s: PositiveInt = Field(1800, description="CPU seconds per process in the sandbox")
    sandbox_cpus: NonNegativeFloat = Field(1.0, description="CPU cores a kernel may use at once (cgroup quota; 0: no quota)")
    sandbox_file_mib: PositiveInt = Field(512, description="largest file student code may write")
    sandbox_open_files: PositiveInt = Field(4096, description="open file descriptors per process")
    sandbox_tmpfs_mib: PositiveInt = Field(1024, description="size of each writable folder: /tmp, home, /dev/shm")
    gpu: int | None = Field(None, description="GPU index this worker's kernels may use (None: CPU only)")
    pool_size: PositiveInt = Field(2, description="warm sandboxed kernels kept ready per grading process")

    # The service (an assignment's [policy] overrides the first two).
    submissions_per_minute: PositiveInt = Field(10, description="per student and assignment; more get 429")
    max_attempts: PositiveInt = Field(3, description="gradings tried per submission before it ends as error")
    workers: PositiveInt = Field(2, description="grading processes of `grader serve`")
    lease_s: PositiveFloat = Field(60.0, description="how long a claimed submission stays its grading process's "
                                                     "without a heartbeat (renewed every third of it); then any "
                                                     "service on the database takes it back")
    broker_url: str | None = Field(
        None, description="distributed mode: a Celery broker (redis://host:6379/0 or amqp://user:pass@host:5672//); "
                          "`grader serve` publishes submission ids there and `grader worker` processes grade them. "
                          "Unset: the embedded mode, grading inside `grader serve`")
    fault_exit_before_publish: bool = Field(
        False, description="fault injection for tests only: `grader serve` dies (exit 137, as if killed) after "
                           "committing an upload and before publishing it")
    session_hours: PositiveFloat = Field(12.0, description="how long a browser stays signed in")

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the service's database."""
        return self.database_url or f"sqlite:///{self.data_dir / 'grader.db'}"

    @field_validator("broker_url")
    @classmethod
    def _a_broker_celery_knows(cls, url: str | None) -> str | None:
        """Empty means unset; otherwise a Redis or AMQP URL (or kombu's SQLAlchemy transport) with a numeric port."""
        if url is None or not url.strip():
            return None
        parts = urlsplit(url.strip())
        if parts.scheme not in BROKER_SCHEMES and not parts.scheme.startswith("sqla+"):
            raise ValueError(f"{parts.scheme or url!r} is not a broker Celery can use here: "
                             "redis://host:6379/0, rediss://..., or amqp://user:pass@host:5672//")
        try:
            parts.port
        except ValueError:
            raise ValueError(f"the port in {url!r} is not a number") from None
        return url.strip()

    @model_validator(mode="after")
    def _sandbox_off_only_in_development(self) -> Settings:
        if not self.sandbox and not self.dev:
            raise ValueError("GRADER_SANDBOX=false would run student code unconfined; it is allowed only "
                             "together with GRADER_DEV=true, on a development machine")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (``ConfigError`` saying which is wrong)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            (f"GRADER_{'_'.join(map(str, e['loc'])).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None
