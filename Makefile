# Two commands set everything up on a fresh machine:
#   make demo   creates .venv, installs the planner, builds the demo park (ARGS are passed on)
#   make test   creates .venv with the dev extras and runs the whole test suite, one worker per core
#               (PYTEST_WORKERS=0 runs it in one process)
#   make bench  runs the benchmarks (BENCH_ARGS="--quick" for small sizes, or names: "store siting")
#   make screenshots  takes the README's screenshots of the app again (browser tests) and copies them to docs/
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
PYTEST_ARGS ?=
PYTEST_WORKERS ?= auto
BENCH_ARGS ?=

.PHONY: demo test bench lint format clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/planner demo $(ARGS)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

SHOTS := app-map app-print desk-table desk-dashboard desk-conflict
screenshots: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -p no:cacheprovider tests/maps/test_app.py tests/maps/test_desk_browser.py \
		-k "search_finds or print_layout or editor_changes or two_editors"
	for shot in $(SHOTS); do cp test-artifacts/$$shot.png docs/$$shot.png; done

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check planner tests bench notebooks
	$(BIN)/ruff format --check planner tests bench notebooks
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff format planner tests bench notebooks
	$(BIN)/ruff check --fix planner tests bench notebooks

clean:
	rm -rf $(VENV) data/demo .pytest_cache test-artifacts
