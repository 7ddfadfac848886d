# Everyday commands. The test logic lives in scripts/test.sh so CI and people run the same thing.

PYTHON ?= python3
VENV := .venv
# Recipes use the project's virtualenv without anyone having to activate it.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: venv run test lint clean

venv: $(VENV)/.installed

# Reinstalls only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Mailed links and issued credentials point at the address the demo is served on.
# Alongside the server, the outbox worker prints every mail on this console as it is sent (no MAIL_SERVER: the
# console sender) and reminders run every TICK_SECONDS; both stop with the server.
run: export PORTAL_URL ?= http://127.0.0.1:$(or $(PORT),5000)
run: TICK_SECONDS ?= 300
run: venv
	flask --app wsgi db upgrade
	flask --app wsgi badges keygen --if-missing
	flask --app wsgi demo
	@echo "Open http://127.0.0.1:$${PORT:-5000}"
	flask --app wsgi outbox work --interval 2 & outbox=$$!; \
	flask --app wsgi reviews tick --every $(TICK_SECONDS) & ticker=$$!; \
	trap 'kill $$outbox $$ticker 2>/dev/null' EXIT INT TERM; \
	flask --app wsgi run --host 127.0.0.1 --port $${PORT:-5000}

test: venv
	bash scripts/test.sh

lint: venv
	ruff check .
	lint-imports

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .import_linter_cache test-results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
