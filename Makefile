# Helpline: `make run` to start everything, `make stop` to stop it, `make test` for the whole suite.
# One venv (.venv) for running and testing. uv (PyPI, pinned in requirements-setup.txt) installs into
# it in seconds; pip is the fallback when uv cannot be had.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# uv installs without compiling bytecode: the service and the tests write it as they import (so a
# later `flask simulate` reads it), even where the shell says not to.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run stop install dev-install test browser-deps lint format bench clean

# Python's own pip wheel installs uv into a venv made without pip (a venv with pip costs ~10 s more).
PIP_WHEEL = $(PYTHON) -c 'import ensurepip, glob, os; d = os.path.dirname(ensurepip.__file__); \
	print((glob.glob(d + "/_bundled/pip-*.whl") + glob.glob("/usr/share/python-wheels/pip-*.whl") + [""])[0])'

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: apt-get install -y python3.11 python3.11-venv"; exit 1; }
	@if command -v uv >/dev/null 2>&1; then uv venv --quiet --python $(PYTHON) $(VENV); else \
	  $(PYTHON) -m venv --without-pip $(VENV) && wheel=$$($(PIP_WHEEL)) && [ -n "$$wheel" ] && \
	  timeout 120 $(BIN)/python $$wheel/pip install -qq --disable-pip-version-check -r requirements-setup.txt \
	  || echo "uv could not be installed: pip installs instead (slower)"; fi
	@test -x $(BIN)/python

# $(call install,FILE): uv when there is one (the venv's, else the machine's), else pip.
define install
	@if [ -x $(BIN)/uv ]; then uv=$(BIN)/uv; else uv=$$(command -v uv); fi; \
	if [ -n "$$uv" ] && $$uv pip install --quiet --python $(BIN)/python -r $(1); then :; else \
	  $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --default-pip >/dev/null; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(1); fi
endef

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(call install,requirements.txt)
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(call install,requirements-dev.txt)
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev-install: $(VENV)/.dev-installed

# Embedded Redis, then web and worker (Procfile, via honcho); Ctrl-C or `make stop` stops them in
# the reverse order. HOST and PORT (default 127.0.0.1:5000) say where the web listens.
run: install
	@$(BIN)/python -m helpline.devtools.run

stop: install
	@$(BIN)/python -m helpline.devtools.run --stop

# Three test processes on two cores (each file stays in one process, with its own embedded Redis): much of
# the suite waits on real processes, browsers and sockets, and two leave the cores idle about half the time
# (4:50-5:27 measured with three, 5:28-5:29 with two, on a quiet machine; 4:16 with three since each
# app is built in a third of the time). PYTEST_WORKERS=0 runs it in one
# process.
PYTEST_WORKERS ?= 3
test: dev-install browser-deps
	CHROMIUM_PATH="$${CHROMIUM_PATH:-$$(command -v chromium)}" $(BIN)/python -m pytest \
	  $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

# The browser tests drive Debian's chromium, with a font to draw pages: installed here when missing
# (as root or with password-less sudo), else the one command to run is printed and make stops.
browser-deps:
	@missing=""; \
	[ -n "$$CHROMIUM_PATH" ] || command -v chromium >/dev/null 2>&1 || missing=" chromium"; \
	! command -v dpkg >/dev/null 2>&1 || dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing="$$missing fonts-dejavu-core"; \
	[ -z "$$missing" ] && exit 0; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
	if command -v apt-get >/dev/null 2>&1 && { [ -z "$$sudo" ] || sudo -n true 2>/dev/null; }; then \
	  echo "Installing what the browser tests need:$$missing"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "The browser tests need chromium; run:  sudo apt-get install -y$$missing  (or set CHROMIUM_PATH)"; exit 1; fi

lint: dev-install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: dev-install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: dev-install
	@for b in crisis webhook search worker memory burst voice staff_queue ops chaos; do \
	  [ -f bench/$$b.py ] || continue; \
	  echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; echo; \
	done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
