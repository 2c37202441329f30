# ModelDeck: two commands do all set-up on a fresh machine.
#   make run   - install into .venv if needed and start the app on the built-in samples
#   make test  - install what the tests need (dev packages, Chromium) and run the whole suite
#   (make test-fast skips the browser and the long trainings, and lists the slowest tests)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-fast lint starters install install-dev chromium clean

$(VENV)/.installed: requirements.txt requirements-encoder.txt requirements-export.txt requirements-forecast.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet -r requirements-export.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-encoder.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-forecast.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt requirements-team.txt requirements-backends.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-backends.txt  # JAX on the CPU: the cross-backend check
	$(PY) -m pip install --quiet -r requirements-team.txt  # MLflow and Ray: tested, optional for make run
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# make run is for one person on their own machine: single-user mode, every run visible.
# Servers shared by several people leave MODELDECK_MODE unset (private sessions); see README.
MODELDECK_MODE ?= local

run: install
	MODELDECK_MODE=$(MODELDECK_MODE) $(PY) -m streamlit run app.py --server.port $(PORT)

chromium:
	@bash scripts/install_chromium.sh

test: install-dev chromium
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

# The quick part: no browser and no long trainings; the 25 slowest tests are listed at the end.
test-fast: install-dev
	$(PY) -m pytest -m "not slow and not e2e" --durations=25

lint: install-dev
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m ruff format --check .

starters: install
	$(PY) scripts/train_starters.py

clean:
	rm -rf workspace test-artifacts .pytest_cache
