# The README's commands. `make serve` sets up and serves the article's graph;
# `make test` sets up and runs every check. Both start from a bare Python 3.11.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: serve test test-virtuoso soak bench setup setup-test setup-bench browser virtuoso lint clean fuzz w3c

serve: setup
	$(BIN)/hubgraph serve

test: setup-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/pytest -q

# The API suite over Virtuoso alone (make test runs it with every other backend).
test-virtuoso: setup-test
	$(BIN)/pytest -q -k virtuoso

# The fault and abuse suite, longer: HUBGRAPH_SOAK_ROUNDS (default 10) rounds of each attack.
soak: setup-test
	HUBGRAPH_SOAK_ROUNDS=$${HUBGRAPH_SOAK_ROUNDS:-10} $(BIN)/pytest -q tests/test_faults.py tests/test_workers.py

bench: setup-bench
	$(BIN)/python bench/run.py --readme

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test browser virtuoso w3c

# The W3C SPARQL 1.0 and 1.1 test suites, as rdflib's source distribution on PyPI ships them:
# fetched by the set-up into var/ (git-ignored), never copied into the repository.
RDFLIB_SOURCE := 7.6.0
W3C_DIR := var/w3c
w3c: $(W3C_DIR)/.unpacked

$(W3C_DIR)/.unpacked: $(VENV)/.installed
	$(BIN)/python -m pip download --quiet --no-binary :all: --no-deps rdflib==$(RDFLIB_SOURCE) -d $(W3C_DIR)/dist
	tar -xzf $(W3C_DIR)/dist/rdflib-$(RDFLIB_SOURCE).tar.gz -C $(W3C_DIR) --strip-components=5 \
		rdflib-$(RDFLIB_SOURCE)/test/data/suites/w3c/sparql11 rdflib-$(RDFLIB_SOURCE)/test/data/suites/w3c/dawg-data-r2
	touch $@

# The guard's differential fuzz at length: HUBGRAPH_FUZZ_CASES cases from HUBGRAPH_FUZZ_SEED.
FUZZ_CASES ?= 50000
FUZZ_SEED ?= 1
fuzz: setup-test
	HUBGRAPH_FUZZ_CASES=$(FUZZ_CASES) HUBGRAPH_FUZZ_SEED=$(FUZZ_SEED) $(BIN)/pytest -q tests/test_guard_fuzz.py

setup-bench: $(VENV)/.installed-bench

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed bench/requirements.txt
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	touch $@

# The browser tests drive Debian's Chromium; nothing is downloaded at test time.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# The second real backend of the API suite: Debian's Virtuoso, started by the tests themselves.
virtuoso:
	command -v virtuoso-t >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource)

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
