# The whole set-up on a fresh Debian or Ubuntu machine:
#   make run    installs Nadir into .venv and opens the built-in demo case
#   make test   installs Nadir, the test tools and the system packages, runs every check
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install system-deps lint typecheck pytest perf clean

run: $(STAMP)
	bash scripts/system-deps.sh run
	$(VENV)/bin/nadir demo

test: $(STAMP) system-deps lint typecheck pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh test

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy $$(cat scripts/domain-core.txt)

pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

perf: $(STAMP)
	for bench in tests/perf/perf_*.py; do QT_QPA_PLATFORM=offscreen $(PY) $$bench || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
