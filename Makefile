# Every target bootstraps .venv by itself; a stamp file keeps a second run from reinstalling.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
STAMP_DEMO := $(VENV)/.installed-demo
STAMP_BENCH := $(VENV)/.installed-bench

.PHONY: demo test bench lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip

# make demo installs only what the demos need (the [demo] extra), quietly (-qq: pip's own notes
# and the build backend's would be the only lines on stderr); pip's --no-compile leaves the
# bytecode to Python, for the modules the demos import. The [dev] extra holds [demo] too, so
# after make test a make demo installs nothing more.
$(STAMP_DEMO): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -qq --no-compile -e '.[demo]'
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(STAMP_DEMO)

$(STAMP_BENCH): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	-$(BIN)/python -m pip install -q 'torch==2.13.0' || echo "torch not installed: the PyTorch columns will be skipped"
	-$(BIN)/python -m pip install -q -e '.[jax]' || echo "jax not installed: the JAX columns will be skipped"
	touch $@

# The demos write no bytecode into .venv either (about 30 MB of caches for one walk-through; the
# imports compile in a few seconds instead): a fresh clone's .venv stays under 500 MB.
demo: $(STAMP_DEMO)
	PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg $(BIN)/python -m pathgrad.demos

# Bytecode on for the suite (this machine sets PYTHONDONTWRITEBYTECODE): without it every
# worker of every run parses and assertion-rewrites each test module again (3 s of collection).
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE MPLBACKEND=Agg $(BIN)/pytest

# This machine sets OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) for old OpenBLAS builds; they pin a
# slower kernel on a current numpy, so the benchmarks run without them (tests and CI keep them).
bench: $(STAMP_BENCH)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python -m benchmarks

# mypy cannot follow the editable install's import hook, so it reads the packages through a tree of
# links laid out as they are installed (build/lint/pathgrad/autograd -> autograd, ...).
LINT_TREE := build/lint
lint: $(STAMP)
	$(BIN)/ruff check autograd nn viz demos benchmarks tests
	rm -rf $(LINT_TREE) && mkdir -p $(LINT_TREE)/pathgrad
	for p in autograd nn viz demos; do ln -s "$(CURDIR)/$$p" $(LINT_TREE)/pathgrad/$$p; done
	cd $(LINT_TREE) && "$(CURDIR)/$(BIN)/mypy" --config-file "$(CURDIR)/pyproject.toml" \
		-p pathgrad.autograd -p pathgrad.nn -p pathgrad.viz -p pathgrad.demos

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
