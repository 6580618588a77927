# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SEED   ?= 1
SCALE  ?= city
DEMO   := demo

.PHONY: setup demo test bench bench-pg bench-province look serve clean

setup: $(BIN)/reconcile

$(BIN)/reconcile: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

# The demo keeps its synthetic runs in a warehouse of its own, never in the default one.
demo: setup
	rm -rf $(DEMO)
	$(BIN)/reconcile demo-data --scale $(SCALE) --seed $(SEED) --out $(DEMO)
	$(BIN)/reconcile run --inbox $(DEMO)/inbox --out $(DEMO)/out --as-of 2023-10-25 --db sqlite:///$(DEMO)/warehouse.sqlite
	@echo "demo: its warehouse is $(DEMO)/warehouse.sqlite: $(BIN)/reconcile history --db sqlite:///$(DEMO)/warehouse.sqlite" >&2

test: setup
	bash scripts/with-postgres $(BIN)/python -m pytest -q

bench: setup
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/reconcile bench --scale $(SCALE) --seed $(SEED)

# The same figures with the warehouse on a throwaway PostgreSQL 15 (store through COPY).
bench-pg: setup
	$(BIN)/pip install -q -e '.[test,bench]'
	bash scripts/with-postgres sh -c '$(BIN)/reconcile bench --scale $(SCALE) --seed $(SEED) --no-splink --db "$$RECONCILE_TEST_PG_URL"'

# Province scale (1.5M rows; generating it takes ~10 min the first time): the whole command, then
# the same on a local Dask cluster, outputs compared, time per stage and peak memory printed.
bench-province: setup
	$(BIN)/reconcile bench --scale province --seed $(SEED) --runs-only --dask

# Render a generated small city's workbooks and notices to PNG (look/png/) to look at them.
look: setup
	bash scripts/look

# The nightly deployment (Prefect server on PostgreSQL, work pool, worker, deploy, one run now):
# PREFECT_SERVER_DATABASE_CONNECTION_URL=postgresql+asyncpg://... make serve INBOX=/srv/vneid/inbox OUT=/srv/vneid/out
INBOX ?= /srv/vneid/inbox
OUT   ?= /srv/vneid/out
serve: setup
	bash scripts/serve-nightly --inbox $(INBOX) --out $(OUT)

clean:
	rm -rf $(VENV) $(DEMO) out look .pytest_cache
