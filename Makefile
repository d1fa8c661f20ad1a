# The RNN course. Two commands on a fresh machine:
#   make book   set up .venv and build the HTML book into _build/html
#   make test   set up and run every check (lint, unit tests, nbval, strict book build, browser)
# Every target is idempotent: a second run skips the set-up it has already done.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MATHJAX := _extra/mathjax
AXE := node_modules/axe-core/axe.min.js
NBVAL := --nbval-current-env --nbval-cell-timeout=120
CHECKED_NOTEBOOKS = $(wildcard book/*.ipynb solutions/*.ipynb)
STUDENT_NOTEBOOKS = $(wildcard exercises/*.ipynb)
JB_FLAGS := -W -n --keep-going --all
# torch's version is written only in constraints.txt (`make lock` keeps it: edit that line to move).
TORCH_PIN = $(shell grep -m1 '^torch==' constraints.txt)
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: help setup book test lint format unit nbval build-book browser notebooks lab lock clean \
	system-deps release experiments dist

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --- set-up -----------------------------------------------------------------------------------
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade -c constraints.txt pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,book,lab]"
	@touch $@

$(MATHJAX)/tex-mml-chtml.js: $(STAMP) tools/vendor_mathjax.py
	$(BIN)/python tools/vendor_mathjax.py $(MATHJAX)

setup: $(STAMP) $(MATHJAX)/tex-mml-chtml.js  ## create .venv with the pinned versions (constraints.txt)

# axe-core, the browser test's accessibility audit: the version pinned in package-lock.json.
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# --- the book -----------------------------------------------------------------------------------
build-book: setup
	$(BIN)/jupyter-book build $(JB_FLAGS) . 2>&1 | tee _build.log
	@! grep -E "WARNING:|ERROR:|CRITICAL:" _build.log || { echo "book build printed warnings (see above)"; exit 1; }

book: build-book  ## set up and build the HTML book; prints the page to open
	@echo "Open the book: file://$(CURDIR)/_build/html/index.html"

# --- checks -------------------------------------------------------------------------------------
lint: setup  ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: setup system-deps  ## unit tests (tests/; the grader's need bubblewrap)
	$(BIN)/pytest -q tests

nbval: setup  ## re-run every notebook and compare with its stored outputs
	$(BIN)/pytest -q --durations=5 --nbval $(NBVAL) --nbval-sanitize-with tests/nbval_sanitize.cfg \
		$(CHECKED_NOTEBOOKS)
	$(if $(STUDENT_NOTEBOOKS),$(BIN)/pytest -q --nbval-lax $(NBVAL) $(STUDENT_NOTEBOOKS))

system-deps:  ## install chromium, bubblewrap and npm with apt when root, or say what is missing
	@$(PYTHON) tools/ensure_system_deps.py

browser: setup system-deps $(AXE)  ## open the built book offline in headless Chromium; audit it
	$(BIN)/pytest -q --run-browser tests/browser

test: system-deps lint unit nbval build-book browser  ## set up and run every check
	@echo "make test: all checks passed"

# --- experiments ------------------------------------------------------------------------------
EXPERIMENTS = $(filter-out experiments/provenance.py,$(wildcard experiments/*.py))

experiments: setup  ## re-run every sweep in experiments/ (each <= 10 min) into course_rnn/results/
	@for script in $(EXPERIMENTS); do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# --- authoring ----------------------------------------------------------------------------------
notebooks: setup  ## re-execute every notebook in place, deterministically, then re-release
	$(BIN)/python tools/execute_notebooks.py book solutions
	$(BIN)/course-rnn release

release: setup  ## write the student notebooks in exercises/ from solutions/
	$(BIN)/course-rnn release

lab: setup  ## open JupyterLab in the course environment
	$(BIN)/jupyter lab

lock:  ## regenerate constraints.txt from a fresh resolution (review the diff!)
	rm -rf /tmp/course-rnn-lock && $(PYTHON) -m venv /tmp/course-rnn-lock
	/tmp/course-rnn-lock/bin/pip install --quiet "$(TORCH_PIN)" -e ".[test,book,lab]"
	{ sed -n '1,3p' constraints.txt; /tmp/course-rnn-lock/bin/pip freeze --all --exclude-editable | grep -vE "^wheel==" \
		| sed 's/^\(torch==[^+]*\)+cpu$$/\1/'; } > constraints.new && mv constraints.new constraints.txt

dist: setup  ## build the sdist and wheel into dist/, check their metadata (twine) and contents
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python tools/check_dist.py dist

clean:  ## remove the built book (keeps .venv)
	rm -rf _build _build.log _extra
