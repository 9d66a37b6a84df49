# runspine: `make` lists the targets. Everything runs in .venv, created on first use
# from the exact pins in requirements.lock (only python3 and make are needed).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
# test processes: twice the cores, since a test spends much of its time waiting for the
# processes it starts (measured on 2 cores: 4 workers keep both cores busier than 2);
# the short `test-fast`, with one more than the cores (2 cores, three paired runs: 3
# workers 45.6, 51.9, 55.9 s against 2 workers 48.9, 54.4, 63.9 s)
TEST_WORKERS ?= $(shell echo $$(( $(JOBS) * 2 )))
FAST_WORKERS ?= $(shell echo $$(( $(JOBS) + 1 )))

.DEFAULT_GOAL := help
.PHONY: help install reports test test-fast screenshots nbmake lab lint check strip bench clean distclean lock

help: ## Show this help
	@echo "runspine: re-analyses of the studies behind running and low back pain advice"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml tools/bootstrap.py
	@$(PYTHON) tools/bootstrap.py --venv $(VENV) --lock requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP) ## Create .venv with the pinned dependencies and the runspine package

reports: $(STAMP) ## Execute every notebook and build reports/ (open reports/index.html)
	$(BIN)/runspine run --jobs $(JOBS)

test: $(STAMP) ## Run the whole test suite on every core (statistics, data, CLI, notebooks, reports)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

test-fast: $(STAMP) ## The test suite without the slow end-to-end tests (for the edit loop)
	$(BIN)/python -m pytest -n $(FAST_WORKERS) -m "not slow"

screenshots: $(STAMP) ## The reader tests, saving screenshots of every page in reports/screenshots/
	$(BIN)/python -m pytest -n $(JOBS) --screenshots tests/test_reader.py

nbmake: $(STAMP) ## Run every notebook with nbmake (pytest --nbmake), as a CI job would
	$(BIN)/python -m pytest --nbmake --nbmake-timeout=900 -n $(JOBS) -p no:cacheprovider notebooks/

# JupyterLab refuses to run as root without --allow-root, and opens no browser where
# there is no display: add each flag only when it is needed. More: make lab LAB_ARGS="--port=8899"
LAB_ARGS ?=
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root) $(if $(DISPLAY)$(WAYLAND_DISPLAY),,--no-browser)
lab: $(STAMP) ## Open JupyterLab on notebooks/ (the URL with its token is printed; works as root, headless)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(strip $(LAB_FLAGS) $(LAB_ARGS))

lint: $(STAMP) ## Lint the code with ruff
	$(BIN)/ruff check src tests benchmarks

check: $(STAMP) ## Validate the data package and the notebooks
	$(BIN)/runspine check

bench: $(STAMP) ## Run the speed benchmarks (prints ratios with the load average; not a test)
	@echo "load average before: $$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null) (a figure counts only below 1.0)"
	$(BIN)/python benchmarks/bench_build.py

clean: ## Remove generated reports and caches (keeps .venv)
	find reports -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv
	rm -rf $(VENV)

lock: $(STAMP) ## Re-resolve requirements.lock from the ranges in pyproject.toml (uv pip compile)
	$(BIN)/python tools/bootstrap.py --compile requirements.lock $(if $(HASHES),--hashes)
