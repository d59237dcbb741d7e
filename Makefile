# Two commands matter: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= $(if $(wildcard config.toml),config.toml,)

.PHONY: run test test-pg test-encrypted lint typecheck bench bench-large clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/salesbot run $(if $(CONFIG),--config $(CONFIG),)

# Two workers (pytest-xdist; JOBS=0 runs in this process): the longest end-to-end tests
# wait on Telegram's pacing and real minutes, and the SQLite suite took 6 min 21 s in one
# process, 3 min 11 s to 3 min 56 s in two, on this 2-core VM.
JOBS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(JOBS) --dist worksteal

test: $(STAMP)
	$(PYTEST)

test-pg: $(STAMP)
	SALESBOT_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test $(PYTEST)

# The flow suite and the backup tests with every SQLite file encrypted (SQLCipher).
test-encrypted: $(STAMP)
	SALESBOT_TEST_DATABASE_KEY=$$($(BIN)/salesbot db new-key) $(PYTEST) tests/flow tests/unit/test_backup.py

lint: $(STAMP)
	$(BIN)/ruff check bot handlers storage scheduler webapp tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

# Lookups, /dupes and the bot's memory at 1,000,000 customers (about 25 minutes with
# SALESBOT_BENCH_DATABASE_URL set, most of it seeding), then the import of a 1,000,000-row
# sheet (an hour or more a database on the 2-core VM: docs/performance.md).
bench-large: $(STAMP)
	SALESBOT_BENCH_CUSTOMERS=1000000 $(BIN)/python -m bench search
	$(BIN)/python -m bench million

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
