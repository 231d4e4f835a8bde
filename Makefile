# The README's commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi:app
# `make run PORT=5050` when 5000 is taken (on a Mac, AirPlay uses it).
PORT ?= 5000

.PHONY: run test lint bench lock migrate clean fonts translations

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The gettext catalogues: the .po files are committed, the .mo files are built here (pip install -e does not).
TRANSLATIONS := skills_hub/translations
MO := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --locale $* --input-file $< --output-file $@

# After changing what a page, email, login card or certificate says: find every message, add the new ones to each
# language's catalogue (for translators to fill in; the tests fail until they have), and compile.
translations: $(STAMP)
	$(BIN)/python scripts/form_messages.py > $(TRANSLATIONS)/form_messages.py
	$(BIN)/pybabel extract --mapping-file $(TRANSLATIONS)/babel.cfg --keywords N_ --keywords say --no-location --sort-output \
		--project "Skills Hub" --copyright-holder "Skills Hub" --output-file $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update --input-file $(TRANSLATIONS)/messages.pot --output-dir $(TRANSLATIONS) --no-fuzzy-matching \
		--ignore-obsolete
	$(MAKE) $(MO)

migrate: $(STAMP) $(MO)
	$(BIN)/flask db upgrade

# SKILLS_HUB_PORT makes the app's links, QR codes and emails use the same port (config.py).
run: export SKILLS_HUB_PORT := $(PORT)
run: migrate
	$(BIN)/flask courses sync
	$(BIN)/flask certificates sign-again
	$(BIN)/flask demo load
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl+C stops the server and the job runner)"
	@$(BIN)/flask jobs run & runner=$$!; \
	trap 'kill $$runner 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: $(STAMP) $(MO)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/flask courses validate

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/learning.py
	$(BIN)/python benchmarks/certificates.py
	$(BIN)/python benchmarks/sync.py
	$(BIN)/python benchmarks/imports.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/load.py

# Rebuild the committed Noto Sans CJK subsets in skills_hub/static/fonts from Debian's fonts-noto-cjk, and the pages' WOFF2
# copies of Noto Naskh Arabic
# (apt install fonts-noto-cjk). Only after upgrading that package: `make run` and `make test` need neither.
fonts: $(STAMP)
	$(BIN)/python scripts/build_cjk_fonts.py
	$(BIN)/python scripts/build_web_fonts.py

# Re-pin constraints.txt to what is installed in .venv now (after changing pyproject.toml).
lock: $(STAMP)
	{ echo '# Versions CI tested; `make` installs with `pip install -c constraints.txt`. Refresh with `make lock`.'; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
