# Two commands on a fresh machine:
#   make book   build the course site in _build/html, executing the notebooks at full scale
#   make test   run the unit tests and execute every notebook in the smoke profile
# Both create .venv and install requirements.txt into it on first use.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: book book-smoke test clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) scripts/check_disk_space.py $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Extra jupyter-book options, e.g. make book BUILD_OPTIONS="-W -n --keep-going".
BUILD_OPTIONS ?=

book: $(VENV)/.installed
	$(PY) scripts/build_book.py $(BUILD_OPTIONS)

# The CI build: smoke profile, warnings as errors.
book-smoke: $(VENV)/.installed
	GARBAGE_PROFILE=smoke $(PY) scripts/build_book.py -W -n --keep-going

test: $(VENV)/.installed
	GARBAGE_PROFILE=smoke $(PY) -m pytest --nbmake tests book

clean:
	rm -rf _build
