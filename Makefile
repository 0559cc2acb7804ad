# astca developer commands. `make run` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12, the Lambda runtime: on PATH, or installed by pyenv beside another global version.
PYTHON312 := $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
OIDC_PROVIDER := tests/e2e/oidc_provider
PYTHONPATH_LAYER := PYTHONPATH=layers/common
FUNCTION ?=
EVENT ?=

.PHONY: help install run test unit lint typecheck openapi invoke bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found (the Lambda runtime is python3.12)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# The layer on the venv's path, as /opt/python is in Lambda: lint-imports and tools find astca.
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "astca-layer.pth").write_text(str(pathlib.Path("layers/common").resolve()) + "\n")'
	@touch $@

# aws-sam-cli pins its own boto3, so it lives in a venv of its own, used only by `sam validate`.
$(SAM_VENV)/.installed: requirements-sam.txt
	@test -n "$(PYTHON312)" || { echo "python3.12 not found"; exit 1; }
	$(PYTHON312) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	@touch $@

# The real OpenID provider (npm oidc-provider) of the e2e interop tests, from its lock file.
$(OIDC_PROVIDER)/node_modules/.installed: $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found (Node.js runs the e2e tests' OpenID provider)"; exit 1; }
	cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

install: $(VENV)/.installed $(SAM_VENV)/.installed $(OIDC_PROVIDER)/node_modules/.installed ## create .venv, .venv-sam and the e2e OpenID provider (node_modules) from pinned versions

run: $(VENV)/.installed ## start the whole service locally (moto, gateway on :3000, pollers, dev IdP)
	$(PYTHONPATH_LAYER) $(PY) -m local.stack

test: install lint typecheck ## lint, type-check and run every test
	@# GnuTLS certtool verifies the tenant chain as a relying party would: Debian's gnutls-bin, installed when missing and allowed.
	@command -v certtool >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && { apt-get install -y -qq gnutls-bin || { apt-get update -qq && apt-get install -y -qq gnutls-bin; }; } >/dev/null 2>&1; } || echo "certtool not found (apt-get install gnutls-bin): its e2e test is skipped"
	$(PYTHONPATH_LAYER) SAM_CLI=$(SAM_VENV)/bin/sam $(PY) -m pytest -q

unit: $(VENV)/.installed ## run the unit tests only
	$(PYTHONPATH_LAYER) $(PY) -m pytest -q tests/unit

lint: $(VENV)/.installed ## ruff and the layer's import contracts (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PYTHONPATH_LAYER) $(VENV)/bin/lint-imports --no-cache

typecheck: $(VENV)/.installed ## mypy --strict
	$(VENV)/bin/mypy

openapi: $(VENV)/.installed ## write openapi.json from the functions' resolvers
	$(PYTHONPATH_LAYER) $(PY) -m local.openapi > openapi.json

invoke: $(VENV)/.installed ## run one function on one event: make invoke FUNCTION=HealthFunction EVENT=events/health.json
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<LogicalId> EVENT=events/<file>.json"; exit 2; }
	$(PYTHONPATH_LAYER) $(PY) -m local.invoke $(FUNCTION) $(EVENT)

bench: $(VENV)/.installed ## measure every figure of bench/ (about 10 minutes) into bench/RESULTS.md and bench/results.json
	@# cfssl serve is measured beside the local stack: Debian's golang-cfssl, installed when missing and allowed.
	@command -v cfssl >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && apt-get install -y -qq golang-cfssl >/dev/null; } || echo "cfssl not found (apt-get install golang-cfssl): its rows are left out"
	$(PYTHONPATH_LAYER) $(PY) -m bench

clean: ## remove the virtual environments and caches
	rm -rf $(VENV) $(SAM_VENV) $(OIDC_PROVIDER)/node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis .aws-sam
