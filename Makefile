# Helpline: `make run` to start everything, `make test` for the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT

.PHONY: run install dev-install test lint format stop bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev-install: $(VENV)/.dev-installed

run: install
	@echo ""
	@echo "  Helpline is starting on http://127.0.0.1:$(PORT)"
	@echo "  In a second terminal, text it:"
	@echo "    $(BIN)/flask simulate sms +15551230001 \"oih\""
	@echo "  (or: . $(BIN)/activate && flask simulate sms +15551230001 \"oih\")"
	@echo "  Call it:  $(BIN)/flask simulate call +15551230001 --digits 1"
	@echo "  Staff and operator pages: http://127.0.0.1:$(PORT)/staff and /ops"
	@echo "    (first: $(BIN)/flask staff add you@example.org --role operator)"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

test: dev-install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: dev-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: dev-install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

stop: install
	$(BIN)/python -c "from config.settings import load_settings; from helpline.infra.embedded_redis import stop_embedded_server; print('stopped' if stop_embedded_server(load_settings().var_dir) else 'not running')"

bench: dev-install
	@for b in webhook search worker voice staff_queue ops; do \
	  [ -f bench/$$b.py ] || continue; \
	  echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; echo; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
