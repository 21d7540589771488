# claude-widgets: set up, run the notebooks, run the tests.
#
#   make lab     JupyterLab on 127.0.0.1, opening the first tutorial notebook
#   make test    every test; a skipped test fails the run (tests/_no_skips.py)
#   make bench   the benchmarks in bench/
#
# Works on a fresh machine with python3, Node.js/npm and apt: each step leaves a stamp
# (in .venv/ or tests/node/node_modules/) and is redone only when its inputs change.
# Variables: PYTHON=python3  PORT=8888  PYTEST_ARGS='-k node -x'

PYTHON ?= python3
PORT ?= 8888
PYTEST_ARGS ?=
NOTEBOOK ?= notebooks/01_first_stream.ipynb

VENV := .venv
VPY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
NODE_DIR := tests/node
NB_NODE_DIR := notebooks/node
# Subprocesses (kernels, `python`, `jupyter`) find the venv's tools first.
IN_VENV := env PATH="$(abspath $(VENV))/bin:$$PATH"

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
# Jupyter refuses to start as root unless told to.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test bench venv clean
.DEFAULT_GOAL := test

venv: $(VPY)

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Stamps depend on pyproject.toml: a new dependency reinstalls. And on labextension/: the
# install copies it into the venv's share/jupyter/labextensions (docs/cell-magic.md).
LABEXTENSION := $(shell find labextension -type f)

$(VENV)/.stamp-notebooks: pyproject.toml $(LABEXTENSION) | $(VPY)
	$(VPY) -m pip install --disable-pip-version-check -q -e '.[notebooks]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(LABEXTENSION) | $(VPY)
	$(VPY) -m pip install --disable-pip-version-check -q -e '.[test]'
	touch $(VENV)/.stamp-notebooks $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
$(CHROMIUM):
	$(APT_GET) update
	$(APT_GET) install -y chromium

$(NODE_DIR)/node_modules/.stamp: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (apt-get install -y nodejs npm)" >&2; exit 1; }
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

# The Node.js SDK for notebooks/08_nodejs_sdk.ipynb.
$(NB_NODE_DIR)/node_modules/.stamp: $(NB_NODE_DIR)/package.json $(NB_NODE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (apt-get install -y nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --prefix $(NB_NODE_DIR)
	touch $@

# The printed URL opens the notebook; the file browser shows notebooks/. Offline or
# real API is the package's choice (ANTHROPIC_API_KEY in the environment): no key here.
lab: $(VENV)/.stamp-notebooks $(NB_NODE_DIR)/node_modules/.stamp
	$(IN_VENV) jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) $(ROOT_FLAG) \
	  --ServerApp.root_dir=$(dir $(NOTEBOOK)) --LabApp.default_url=/lab/tree/$(notdir $(NOTEBOOK))

test: $(VENV)/.stamp-test $(CHROMIUM) $(NODE_DIR)/node_modules/.stamp $(NB_NODE_DIR)/node_modules/.stamp
	$(IN_VENV) python -m pytest -p no:cacheprovider -p tests._no_skips -ra $(PYTEST_ARGS)

bench: $(VENV)/.stamp-test $(CHROMIUM)
	@ran=; for b in bench/server_bench.py bench/widget_bench.py bench/browser_bench.py; do \
	  if [ -f $$b ]; then echo "== $$b"; $(IN_VENV) python $$b || exit $$?; ran=1; fi; \
	done; [ -n "$$ran" ] || echo "no benchmarks in bench/ yet"

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules $(NB_NODE_DIR)/node_modules
