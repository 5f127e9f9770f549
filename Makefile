# Wudian — the two commands are `make run` and `make test`; both start with `make install`.

VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest messages clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	WUDIAN_DEBUG=1 $(BIN)/wudian migrate --noinput
	WUDIAN_DEBUG=1 $(BIN)/wudian seed_demo
	WUDIAN_DEBUG=1 $(BIN)/wudian serve

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check wudian benchmarks
	$(BIN)/ruff format --check wudian benchmarks
	$(BIN)/lint-imports

typecheck: install
	WUDIAN_DEBUG=1 $(BIN)/mypy wudian

# Regenerate the translation catalogue after changing user-facing strings (needs gettext).
messages: install
	cd wudian && WUDIAN_DEBUG=1 ../$(BIN)/wudian makemessages -l en -l zh_Hans --no-obsolete \
		--ignore 'static/*'
	cd wudian && WUDIAN_DEBUG=1 ../$(BIN)/wudian compilemessages

clean:
	rm -rf $(VENV) var
