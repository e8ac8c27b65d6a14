# StudyLog: `make run` installs everything and starts the app; `make test` runs the tests.
# Both create or reuse .venv in the repo root and install torch FIRST, pinned, so resolving
# the rest never pulls a second (multi-GB CUDA) torch build.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_VERSION ?= 2.13.0
# On a machine without a local CPU wheel and without a GPU, point this at a CPU-only
# index, e.g. TORCH_PIP_ARGS="--index-url <pytorch CPU wheel index>".
TORCH_PIP_ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test test-fast test-avx2 install system-deps lint clean-venv build smoke-test

run: install
	$(VENV)/bin/studylog

test: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# The numeric and answer tests again on the AVX2 kernels an AVX2-only CPU runs, so an AVX-512
# machine cannot hide a failure there. ATen reads ATEN_CPU_CAPABILITY; fbgemm (the fp16-weights
# and int8 Linears) reads FBGEMM_ENABLE_INSTRUCTIONS once per process (src/Utils.cc,
# fbgemmEnvGetIsa); oneDNN reads ONEDNN_MAX_CPU_ISA; oneMKL reads MKL_ENABLE_INSTRUCTIONS (Intel
# CPUs only). tests/rag/test_cpu_kernels.py fails when one of them did not take effect.
AVX2_ENV := ATEN_CPU_CAPABILITY=avx2 FBGEMM_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2
AVX2_TESTS ?= tests/rag tests/chain tests/attention/test_regenerate.py tests/attention/test_record_drafts.py tests/e2e/test_answer_real_model.py

test-avx2: install
	$(AVX2_ENV) QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(AVX2_TESTS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check studylog tests
	$(VENV)/bin/lint-imports

install: $(VENV)/.installed system-deps

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "torch==$(TORCH_VERSION)" $(TORCH_PIP_ARGS)
	$(PIP) install --quiet -e ".[models,st,test]"
	touch $@

# Qt's xcb platform libraries, a Korean font (Hangul renders as boxes without one) and Xvfb
# for real-window screenshots. Installed when we are root with apt; otherwise a hint.
system-deps: $(VENV)/.system-deps

$(VENV)/.system-deps:
	@mkdir -p $(VENV)
	@if fc-list :lang=ko 2>/dev/null | grep -q . && command -v Xvfb >/dev/null; then \
		echo "system packages: present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			fonts-nanum fonts-noto-color-emoji fontconfig xvfb xauth libegl1 libgl1 libfontconfig1 libdbus-1-3 \
			libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
			libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 >/dev/null; \
	else \
		echo "note: install a Korean font (fonts-nanum) and Qt's xcb libraries with your package manager"; \
	fi
	@touch $@

# The one-folder app dist/studylog/ (PyInstaller, packaging/studylog.spec); creates or reuses .venv.
build:
	PYTHON="$(PYTHON)" TORCH_VERSION="$(TORCH_VERSION)" TORCH_PIP_ARGS="$(TORCH_PIP_ARGS)" packaging/build

# The built binary with no Python on PATH and no network (Korean font and Qt libs: system-deps).
smoke-test: build system-deps
	packaging/smoke_test

clean-venv:
	rm -rf $(VENV)
