# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench lint browser-deps bus-deps proxy-deps clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

.local/dynamodb/DynamoDBLocal.jar: | $(STAMP)
	$(PY) -m devstack install

# Debian's chromium (browser tests) and nginx (load balancer tests), installed when missing.
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v nginx >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium nginx-light; \
	fi

# Debian's redis-server: the push bus, on loopback (make run starts one, the tests their own).
bus-deps:
	@if ! command -v redis-server >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	fi

# Debian's nginx: `make run` puts it in front of the app as on Elastic Beanstalk. It lives in
# /usr/sbin, which a normal user's PATH may lack.
proxy-deps:
	@if ! command -v nginx >/dev/null && ! test -x /usr/sbin/nginx; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; \
	fi

run: $(STAMP) .local/dynamodb/DynamoDBLocal.jar bus-deps proxy-deps
	$(PY) -m devstack run

test: $(STAMP) .local/dynamodb/DynamoDBLocal.jar browser-deps bus-deps
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy  # strict, over tictactoe/, devstack/ and scripts/ ([tool.mypy] in pyproject.toml)
	$(PY) -m pytest -n 2 --dist loadgroup --durations=15  # the slowest, so CI shows where the time goes

# BASELINE=<git ref> compares against that ref (default: the latest tag, else origin/main).
bench: $(STAMP) .local/dynamodb/DynamoDBLocal.jar browser-deps bus-deps
	BASELINE="$(BASELINE)" $(PY) -m bench

lint: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) .local dist artifacts
