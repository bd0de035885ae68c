"""docker-compose.yml and the Dockerfile agree with the real CLI, settings and sandbox.

There is no Docker engine where these run: the files are parsed, and what they
say is checked against ``grader``'s own commands (run with ``--help`` and parsed
by typer), ``Settings`` and the database driver.
"""

from __future__ import annotations

import fnmatch
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from grader.cli import app
from grader.config import REPO_ROOT, Settings

COMPOSE: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SANDBOX_CAPS = {"SYS_ADMIN", "NET_ADMIN"}
SANDBOX_SECURITY = {"seccomp=unconfined", "apparmor=unconfined"}


def argv(service: str) -> list[str]:
    """The service's command, split the way compose splits a string."""
    command = SERVICES[service].get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def options(service: str) -> dict[str, str]:
    """The command's ``--name value`` options."""
    words = argv(service)
    return {word: value for word, value in zip(words, words[1:] + [""])
            if word.startswith("--") and not value.startswith("--")}


GRADER_SERVICES = sorted(name for name, s in SERVICES.items() if str(s.get("image", "")).startswith("grader"))
WORKERS = [name for name in GRADER_SERVICES if argv(name)[:1] == ["worker"]]


def environment(service: str) -> dict[str, str]:
    """The service's environment, from either of compose's two spellings."""
    env = SERVICES[service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {key: str(value) for key, value in env.items()}


def mounts(service: str) -> dict[str, str]:
    """Mount target -> source (a named volume or a host path)."""
    found = {}
    for volume in SERVICES[service].get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        found[target] = source
    return found


def is_named_volume(source: str) -> bool:
    return not source.startswith(("/", ".", "~", "$"))


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for line in (REPO_ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, rest = (current + stripped).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def docker_values(keyword: str) -> dict[str, str]:
    """``ARG``/``ENV`` names and their values (an ARG without a default maps to "")."""
    return dict(word.partition("=")[::2] for instruction, rest in dockerfile() if instruction == keyword
                for word in shlex.split(rest))


def docker_copies() -> dict[str, str]:
    """COPY source -> absolute destination in the image."""
    copies, workdir = {}, PurePosixPath("/")
    for instruction, rest in dockerfile():
        if instruction == "WORKDIR":
            workdir = workdir / rest
        elif instruction == "COPY":
            *sources, dest = shlex.split(rest)
            for source in sources:
                target = workdir / dest
                copies[source] = str(target / source if dest.endswith("/") else target)
    return copies


def test_the_services_are_found() -> None:
    assert {"api", "worker", "gpu-worker"} <= set(GRADER_SERVICES)
    assert {"worker", "gpu-worker"} <= set(WORKERS)
    assert argv("api")[:1] == ["serve"]


@pytest.mark.parametrize("service", GRADER_SERVICES)
def test_each_command_exists_with_its_options(service: str) -> None:
    command = argv(service)[0]
    shown = subprocess.run([sys.executable, "-m", "grader", command, "--help"], capture_output=True, text=True,
                           timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert shown.returncode == 0, f"`grader {command}` ({service}): {shown.stdout}{shown.stderr}"
    missing = [option for option in options(service) if option not in shown.stdout]
    assert not missing, f"`grader {command} --help` does not list {missing}"


@pytest.mark.parametrize("service", GRADER_SERVICES)
def test_each_command_line_parses(service: str) -> None:
    """The values too: typer converts and checks each one as the container would, without running it."""
    group = typer.main.get_command(app)
    context = typer.Context(group, info_name="grader")
    name, *args = argv(service)
    command = group.get_command(context, name)  # type: ignore[attr-defined]
    assert command is not None, f"no `grader {name}` ({service})"
    try:
        command.make_context(name, args, parent=context)
    except typer.TyperException as exc:
        pytest.fail(f"{service}: `grader {shlex.join(argv(service))}`: {exc.format_message()}")


def test_every_grader_variable_is_a_setting_with_a_valid_value() -> None:
    fields = {f"GRADER_{name.upper()}" for name in Settings.model_fields}
    for source, env in [("Dockerfile", docker_values("ENV"))] + [(s, environment(s)) for s in GRADER_SERVICES]:
        variables = {key: value for key, value in env.items() if key.startswith("GRADER_")}
        assert not variables.keys() - fields, f"{source}: not settings: {sorted(variables.keys() - fields)}"
        Settings.model_validate({key.removeprefix("GRADER_").lower(): value for key, value in variables.items()})


def test_the_api_publishes_and_probes_its_own_port() -> None:
    port = options("api")["--port"]
    published = [str(mapping).split(":")[-1].split("/")[0] for mapping in SERVICES["api"]["ports"]]
    assert port in published
    assert f"127.0.0.1:{port}/readyz" in " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert port in {word.split("/")[0] for keyword, rest in dockerfile() if keyword == "EXPOSE" for word in rest.split()}


@pytest.mark.parametrize("service", GRADER_SERVICES)
def test_the_database_is_the_postgres_service(service: str) -> None:
    url = make_url(environment(service)["GRADER_DATABASE_URL"])
    url.get_dialect()  # the driver named in the URL is installed
    assert url.host in SERVICES, f"{url.host} is not a service"
    postgres = SERVICES[url.host]
    assert postgres["image"].startswith("postgres:")
    assert (url.port or 5432) == 5432
    env = environment(url.host)
    assert (url.username, url.password, url.database) == (
        env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env.get("POSTGRES_DB", env["POSTGRES_USER"]))
    probe = postgres["healthcheck"]["test"]
    assert "pg_isready" in probe and probe[probe.index("-U") + 1] == env["POSTGRES_USER"]


@pytest.mark.parametrize("service", GRADER_SERVICES)
def test_the_broker_is_the_redis_service(service: str) -> None:
    url = urlsplit(environment(service)["GRADER_BROKER_URL"])
    assert url.scheme == "redis"
    assert url.hostname in SERVICES and SERVICES[url.hostname]["image"].startswith("redis:")
    assert (url.port or 6379) == 6379


@pytest.mark.parametrize("variable", ["GRADER_DATA_DIR", "GRADER_CACHE_DIR"])
def test_api_and_workers_share_one_volume(variable: str) -> None:
    """The api writes uploads under GRADER_DATA_DIR that workers read, and workers write executed notebooks back."""
    sources = {}
    for service in GRADER_SERVICES:
        path = environment(service)[variable]
        assert path in mounts(service), f"{service}: {variable}={path} is not mounted"
        sources[service] = mounts(service)[path]
    assert len(set(sources.values())) == 1, sources
    assert is_named_volume(next(iter(sources.values())))


def test_named_volumes_are_declared_and_postgres_keeps_its_data() -> None:
    declared = set(COMPOSE.get("volumes") or {})
    for service in SERVICES:
        named = {source for source in mounts(service).values() if is_named_volume(source)}
        assert named <= declared, f"{service}: undeclared volumes {sorted(named - declared)}"
    assert is_named_volume(mounts("postgres").get("/var/lib/postgresql/data", "/"))


def test_services_wait_for_what_they_need_to_be_healthy() -> None:
    for service, spec in SERVICES.items():
        for needed, condition in (spec.get("depends_on") or {}).items():
            assert needed in SERVICES, f"{service} depends on unknown {needed}"
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in SERVICES[needed], f"{service} waits for {needed}, which has no healthcheck"
    backing = {make_url(environment("api")["GRADER_DATABASE_URL"]).host,
               urlsplit(environment("api")["GRADER_BROKER_URL"]).hostname}
    healthy = {name for name, c in SERVICES["api"]["depends_on"].items() if c["condition"] == "service_healthy"}
    assert backing <= healthy
    for worker in WORKERS:  # the api migrates the database on start
        assert SERVICES[worker]["depends_on"]["api"]["condition"] == "service_healthy"


def test_only_workers_get_the_privileges_bubblewrap_needs() -> None:
    for worker in WORKERS:
        assert SANDBOX_CAPS <= set(SERVICES[worker].get("cap_add", [])), worker
        assert SANDBOX_SECURITY <= set(SERVICES[worker].get("security_opt", [])), worker
    for service in set(SERVICES) - set(WORKERS):
        assert not SERVICES[service].get("cap_add") and not SERVICES[service].get("security_opt"), service
    assert not [s for s, spec in SERVICES.items() if spec.get("privileged")]


def test_the_cpu_worker_scales() -> None:
    worker = SERVICES["worker"]
    assert not {"container_name", "ports", "profiles"} & worker.keys()
    assert "devices" not in worker.get("deploy", {}).get("resources", {}).get("reservations", {})
    assert "--name" not in options("worker")  # replicas would share one name
    assert options("worker")["--queues"] == "cpu"


def test_the_gpu_worker_is_opt_in_with_a_gpu_and_cuda_torch() -> None:
    gpu = SERVICES["gpu-worker"]
    assert "gpu" in gpu["profiles"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert options("gpu-worker")["--queues"] == "gpu" and "--gpus" in options("gpu-worker")
    assert "/whl/cu" in gpu["build"]["args"]["TORCH_INDEX"]
    assert gpu["image"] != SERVICES["worker"]["image"]  # not the CPU build under the same tag


def test_the_image_runs_grader_as_root_with_the_sandbox_tools() -> None:
    instructions = dockerfile()
    entrypoint = [yaml.safe_load(rest) for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    assert entrypoint[-1:] == [["grader"]]
    installs = " ".join(rest for keyword, rest in instructions if keyword == "RUN" and "apt-get install" in rest)
    assert {"bubblewrap", "util-linux"} <= set(installs.split())
    assert "USER" not in {keyword for keyword, _ in instructions}  # setpriv drops each kernel from root


def test_the_image_pins_the_service_torch() -> None:
    service = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["service"]
    pin = next(dep.removeprefix("torch==") for dep in service if dep.startswith("torch=="))
    args = docker_values("ARG")
    assert args["TORCH_VERSION"] == pin
    assert args["TORCH_INDEX"].endswith("/whl/cpu")
    for service_name, spec in SERVICES.items():
        build = spec.get("build")
        build_args = set(build.get("args", {})) if isinstance(build, dict) else set()
        assert build_args <= args.keys(), f"{service_name}: build args the Dockerfile does not declare"


@pytest.mark.parametrize("variable,folder", [("GRADER_EXERCISES_DIR", "exercises"),
                                             ("GRADER_REFERENCE_DIR", "reference")])
def test_the_assignments_are_in_the_image_outside_what_the_sandbox_binds(variable: str, folder: str) -> None:
    path = docker_values("ENV")[variable]
    assert docker_copies().get(folder) == path
    assert not PurePosixPath(path).is_relative_to("/usr"), f"{path}: every kernel sees /usr read-only"


def test_dockerignore_keeps_local_state_out_and_the_sources_in() -> None:
    patterns = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert {".git", ".venv", ".grader-data", ".grader-cache"} <= set(patterns)
    for source in docker_copies():
        assert (REPO_ROOT / source).exists(), source
        assert not [p for p in patterns if fnmatch.fnmatch(source, p)], f"{source} is excluded from the build"
