# GAN Course tasks. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
# every folder NN-slug in solutions/ is an assignment (tests/nbtools.py discovers them the same way)
ASSIGNMENTS := $(notdir $(patsubst %/,%,$(dir $(wildcard solutions/*/*.ipynb))))

.PHONY: help install lab test test-browser test-fast lint format release autograde clean mutation

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/.installed  ## create .venv and install the course, Jupyter, nbgrader and test tools

# reinstalls only when the requirements change, so `make lint test` installs once
$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

# Jupyter refuses to start as root (containers, cloud shells) unless told it is intended.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install  ## open the course in JupyterLab (extra options: make lab LAB_ARGS=--no-browser)
	$(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

test: install  ## the whole suite except the real-browser test: helpers, notebooks, nbgrader, grading
	$(BIN)/python -m pytest -n 2 -q --durations=10 -m "not browser"

test-browser: install  ## every lesson in JupyterLab and headless Chromium (one worker, about 5 min)
	$(BIN)/python -m pytest -q -m browser --durations=5

test-fast: install  ## unit tests (under a minute): no notebooks, nbgrader or exercise variants
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: install  ## ruff on helpers, tests and the master notebooks
	$(BIN)/ruff check helpers grading tests solutions
	$(BIN)/ruff format --check helpers grading tests

format: install  ## apply ruff's formatting and fixes
	$(BIN)/ruff format helpers grading tests
	$(BIN)/ruff check --fix helpers grading tests

release: install  ## regenerate the student release notebooks/ from solutions/
	for a in $(ASSIGNMENTS); do $(BIN)/nbgrader generate_assignment $$a --force || exit 1; done

SUBMISSIONS ?= submitted
OUT ?= graded
WORKERS ?= 2
autograde: install  ## grade SUBMISSIONS (folder or zip) into OUT: isolated, parallel, resumable (root)
	$(BIN)/python -m grading grade $(SUBMISSIONS) --out $(OUT) --workers $(WORKERS)

clean:  ## remove grading output and caches
	rm -rf autograded feedback gradebook.db .pytest_cache mutants

mutation: install  ## mutation testing of checks, data and Lesson 1's references (by hand, ~30 min)
	$(BIN)/python -m pip install -q "mutmut>=3.3"
	$(BIN)/mutmut run || true
	$(BIN)/mutmut results
