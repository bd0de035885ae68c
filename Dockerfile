# One image for the whole service: `grader serve` (the API) and `grader worker` (the graders).
# docker-compose.yml runs it; see README.md, "Deployment: docker compose".
FROM python:3.11-slim-bookworm

# The sandbox is built from bubblewrap and util-linux's prlimit and setpriv; without them grading
# refuses to start (grader.sandbox.tool_paths).
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap util-linux \
 && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1

# torch first, from PyTorch's own index: the default is the CPU wheel (PyPI's would pull gigabytes of
# CUDA libraries into every container). A GPU worker's image takes the CUDA build instead:
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .
# (docker-compose.yml's gpu-worker does this). TORCH_VERSION must stay the `service` extra's pin, so
# that the next step finds torch already satisfied.
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX}"

WORKDIR /app
COPY pyproject.toml README.md ./
COPY grader ./grader
COPY api ./api
RUN pip install '.[service]'

# The assignments, hidden suites included. They are not secret from the image: the hidden suites run
# in the trusted grading process, and a sandboxed kernel never sees /app -- it gets /usr (where Python
# and the installed packages live) and its own tmpfs, nothing else of the container's disk. So keep
# them out of /usr. An installed (non-editable) grader cannot find them next to its source, hence ENV.
COPY exercises /app/exercises
COPY reference /app/reference
ENV GRADER_EXERCISES_DIR=/app/exercises GRADER_REFERENCE_DIR=/app/reference

# No USER: the sandbox is set up as root, then setpriv drops each kernel to a fresh uid with no
# capabilities (grader/sandbox.py).
EXPOSE 8000
ENTRYPOINT ["grader"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
