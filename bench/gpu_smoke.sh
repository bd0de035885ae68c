#!/usr/bin/env bash
# GPU proof of the distributed mode: a `grader worker --queues gpu --gpus 0` grades a notebook that asserts
# torch.cuda.is_available() inside the sandbox and trains a small net on cuda.
#
#   bash bench/gpu_smoke.sh            # from the repository root, on a machine with an NVIDIA GPU
#
# Needs: the NVIDIA driver, grader installed with a CUDA build of torch (PYTHON, default .venv/bin/python;
# e.g. pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128), bubblewrap.
# The broker is a private redis-server when one is installed, else kombu's SQLAlchemy transport on a SQLite
# file (no server at all); the database is SQLite. Everything lives in a temporary folder; its logs are
# copied to $OUT when that is set. Exit 0 only if the submission scored full marks on the GPU worker.
set -euo pipefail
PYTHON=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d /tmp/gpu-smoke-XXXXXX)
PIDS=()
finish() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${OUT:-}" ]; then cp -r "$WORK"/*.log "$WORK"/result.json "$OUT"/ 2>/dev/null || true; fi
}
trap finish EXIT

echo "== the machine"
nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv || echo "nvidia-smi: not found"
"$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'available outside the sandbox:', torch.cuda.is_available())"

echo "== a course of one GPU assignment"
mkdir -p "$WORK/exercises/gpu-smoke/tests" "$WORK/reference/gpu-smoke/tests"
cat > "$WORK/exercises/gpu-smoke/manifest.toml" <<'EOF'
id = "gpu-smoke"
title = "Train on the GPU inside the sandbox"
notebook = "gpu-smoke.ipynb"
device = "gpu"

[limits]
cell_timeout_s = 120
total_timeout_s = 300
call_timeout_s = 120

[[exercises]]
id = "train_on_cuda"
title = "A small net trained on cuda"
points = 2
EOF
cat > "$WORK/exercises/gpu-smoke/tests/test_public.py" <<'EOF'
import pytest

from grader.expect import expect


@pytest.mark.exercise("train_on_cuda")
@pytest.mark.points(1)
def test_cuda_is_available_in_the_sandbox(student):
    expect(student.cuda_device() != "none", "torch.cuda.is_available() is False inside the sandbox")
EOF
cat > "$WORK/reference/gpu-smoke/solution.py" <<'EOF'
def cuda_device():
    return "reference"


def train_on_cuda():
    return 0.0
EOF
cat > "$WORK/reference/gpu-smoke/tests/test_hidden.py" <<'EOF'
import pytest

from grader.expect import expect


@pytest.mark.exercise("train_on_cuda")
@pytest.mark.points(1)
def test_a_small_net_learns_on_cuda(student):
    loss = student.train_on_cuda()
    expect(loss < 0.05, f"the final loss on cuda is {loss:.3g}, not below 0.05")
EOF
"$PYTHON" - "$WORK/exercises/gpu-smoke/gpu-smoke.ipynb" <<'EOF'
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

cells = [
    "import os, torch\n"
    "print('CUDA_VISIBLE_DEVICES =', os.environ.get('CUDA_VISIBLE_DEVICES'))\n"
    "assert torch.cuda.is_available(), 'torch.cuda.is_available() is False inside the sandbox'\n"
    "print(torch.cuda.get_device_name(0))",
    "def cuda_device():\n"
    "    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'",
    "def train_on_cuda():\n"
    "    torch.manual_seed(0)\n"
    "    x = torch.randn(4096, 16, device='cuda')\n"
    "    y = x @ torch.randn(16, 1, device='cuda')\n"
    "    net = torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)).cuda()\n"
    "    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)\n"
    "    for _ in range(500):\n"
    "        optimizer.zero_grad()\n"
    "        loss = torch.nn.functional.mse_loss(net(x), y)\n"
    "        loss.backward()\n"
    "        optimizer.step()\n"
    "    return float(loss)",
    "print('final loss on', next(iter([p.device for p in torch.nn.Linear(1, 1).cuda().parameters()])), "
    "train_on_cuda())",
]
nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells],
                            metadata={"grader": {"assignment": "gpu-smoke"}}), sys.argv[1])
EOF

export GRADER_DATA_DIR="$WORK/data" GRADER_CACHE_DIR="$WORK/cache" GRADER_EXERCISES_DIR="$WORK/exercises" \
       GRADER_REFERENCE_DIR="$WORK/reference" GRADER_POOL_SIZE=1
if command -v redis-server >/dev/null; then
  PORT=$("$PYTHON" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no > "$WORK/redis.log" 2>&1 &
  PIDS+=($!)
  export GRADER_BROKER_URL="redis://127.0.0.1:$PORT/0"
  sleep 1
else
  export GRADER_BROKER_URL="sqla+sqlite:///$WORK/broker.db"
fi
echo "== broker $GRADER_BROKER_URL"

API_PORT=$("$PYTHON" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$PYTHON" -m grader serve --port "$API_PORT" > "$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 60); do
  "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$API_PORT/readyz', timeout=2)" \
    2>/dev/null && break
  sleep 1
done
TOKEN=$("$PYTHON" -m grader roster add "GPU Smoke" gpu-smoke@example.invalid 2>&1 | sed -n 's/.*student: //p')
"$PYTHON" -m grader worker --queues gpu --gpus 0 --name gpu0@smoke > "$WORK/worker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 90); do grep -q "gpu0@smoke ready." "$WORK/worker.log" && break; sleep 1; done

echo "== submit"
status=0
"$PYTHON" -m grader submit "$WORK/exercises/gpu-smoke/gpu-smoke.ipynb" --server "http://127.0.0.1:$API_PORT" \
  --token "$TOKEN" || status=$?
ID=$(grep -o 'submission [0-9a-f-]\{36\}: running' "$WORK/worker.log" | head -1 | cut -d' ' -f2 | tr -d ':')
"$PYTHON" -m grader result "$ID" --json --server "http://127.0.0.1:$API_PORT" --token "$TOKEN" \
  > "$WORK/result.json" 2>/dev/null || true
echo "== the worker"
grep -E "GPU|running|graded|error" "$WORK/worker.log" | cut -c1-200 || true
echo "== the executed notebook (what the kernel printed)"
"$PYTHON" - "$WORK/data/executed" <<'EOF'
import sys
from pathlib import Path

import nbformat

for path in sorted(Path(sys.argv[1]).glob("*.ipynb")):
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            print((output.get("text") or output.get("evalue") or "").strip())
EOF
"$PYTHON" - "$WORK/result.json" "$status" <<'EOF'
import json
import sys

try:
    body = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(f"gpu smoke: FAILED (no result; grader submit exited {sys.argv[2]})")
result = body.get("result") or {}
print("status", body.get("status"), "score", result.get("score"), "/", result.get("max_score"))
if body.get("status") != "graded" or result.get("score") != result.get("max_score"):
    sys.exit("gpu smoke: FAILED (not full marks: see the tests above and worker.log)")
print("gpu smoke: passed")
EOF
