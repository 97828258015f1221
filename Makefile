# Set-up, tests and benchmarks. Two commands matter on a fresh machine:
#   make install && make run     # the bundled example, end to end
#   make install && make test    # the whole suite
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
ARM_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib binutils-arm-none-eabi qemu-system-arm
# clang-format checks the C style of firmware/ (tinyml/firmware/c_format_test.py); cmake, make and g++
# build the exported C library packages as an outside project would (tinyml/firmware/package_test.py).
# chromium and its driver run the browser tests of the run report and `tinyml ui`.
SYSTEM_PACKAGES := $(ARM_PACKAGES) clang-format cmake make g++ chromium chromium-driver
# Keras 2 for TFT/TFMA 1.16: must be set before Python starts.
export TF_USE_LEGACY_KERAS := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONWARNINGS := ignore::FutureWarning

.PHONY: install python-deps system-deps lock test test-fast run bench-pipeline bench-firmware bench-frontend bench-kws bench-kws-seeds clean

install: python-deps system-deps

python-deps: $(VENV)/.installed

# Bytecode at install, not at the first run: without .pyc files importing TensorFlow and TFX
# compiles ~9,300 modules (134 of a cached run's 238 profiled seconds; on every run where
# PYTHONDONTWRITEBYTECODE is set or site-packages is read-only).
$(VENV)/.installed: requirements.lock setup.py
	@py=$$(sh infra/find_python310.sh) || exit 1; \
	  [ -x $(PY) ] || $$py -m venv $(VENV)
	@[ -x $(UV) ] || $(PY) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) pip sync -q --compile-bytecode --python $(PY) requirements.lock
	$(UV) pip install -q --python $(PY) --no-deps --config-settings editable_mode=compat -e .
	@touch $@

# The firmware toolchain, emulator and C formatter come from Debian.
system-deps:
	@if dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES); \
	else \
	  echo "Not root: install the firmware toolchain and clang-format with:"; \
	  echo "  sudo apt-get install -y --no-install-recommends $(SYSTEM_PACKAGES)"; \
	fi

lock:
	@[ -x $(UV) ] || { echo "run 'make install' first"; exit 1; }
	$(UV) pip compile -q --python $(PY) --python-version 3.10 requirements.in -o requirements.lock

# --dist loadfile: a module's tests share one worker, so a module fixture (one pipeline run, one
# firmware build) runs once, not once per worker.
test: install
	$(VENV)/bin/pytest -n 2 --dist loadfile

# Everything but the end-to-end runs marked slow.
test-fast: install
	$(VENV)/bin/pytest -n 2 --dist loadfile -m "not slow"

run: install
	$(VENV)/bin/tinyml run

bench-pipeline: install
	$(PY) -m benchmarks.pipeline_bench --out bench/pipeline.json

bench-firmware: install
	$(PY) -m benchmarks.firmware_bench --out bench/firmware.json

bench-frontend: install
	$(PY) -m benchmarks.frontend_bench --out bench/frontend.json

bench-kws: install
	$(PY) -m benchmarks.kws_bench --out bench/kws.json

# The spoken digits model's accuracy on the eval speaker over 10 training seeds, alone and as ensembles.
bench-kws-seeds: install
	$(PY) -m benchmarks.kws_seeds --out bench/kws_seeds.json

clean:
	rm -rf build bench .pytest_cache
