# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install sandbox-tools browser test bench serve wheel clean

install: sandbox-tools $(STAMP)

# A command from one of Debian's packages: installed as root when missing, else a one-line error.
define need_debian
	@command -v $(1) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's $(2)"; \
	    (apt-get install -y -q $(2) >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q $(2) >/dev/null)); \
	  else echo "error: $(1) is missing; run: sudo apt-get install $(2)" >&2; exit 1; fi; }
endef

# Graded kernels run under bubblewrap; checked on every run, not only when the venv is built.
sandbox-tools:
	$(call need_debian,bwrap,bubblewrap)

# The page tests drive Debian's Chromium through Playwright (never `playwright install`: it needs the internet).
browser:
	$(call need_debian,chromium,chromium)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and exact: a looser spec pulls gigabytes of CUDA wheels.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[service,dev]'
	touch $(STAMP)

test: install browser
	$(BIN)/mypy
	$(BIN)/python -m pytest --durations=25  # the slowest, so the suite's length stays in view

bench: install
	$(BIN)/python bench/grade_time.py
	$(BIN)/python bench/pool_overhead.py
	$(BIN)/python bench/service_burst.py
	$(BIN)/python bench/dashboard.py

# The demo course: the four assignments, one instructor, two students (fresh tokens printed).
serve: install
	$(BIN)/grader roster demo
	$(BIN)/grader serve --host 127.0.0.1 --port 8000

# What students install: dist/grader-VERSION-py3-none-any.whl (no solutions, no hidden tests: tested).
wheel: install
	rm -rf build  # setuptools keeps files there that were deleted since
	$(BIN)/pip wheel -q --no-deps -w dist .

clean:
	rm -rf $(VENV) .pytest_cache dist build
