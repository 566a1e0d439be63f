# The two commands of the README's quick start. Both do all set-up first (apt, venv, pip).
VENV ?= .venv
export PYGAME_HIDE_SUPPORT_PROMPT := 1

.PHONY: run test bench setup console-demo

setup:
	@scripts/setup.sh

run: setup
	$(VENV)/bin/edge-avatar run $(ARGS)

console-demo: setup
	@scripts/console_demo.sh

TFLITE_VENV ?= .venv-tflite

test:
	@scripts/setup.sh --test
	@if [ -x $(TFLITE_VENV)/bin/python ]; then \
	  echo "inference tests on the fallback backend (tflite-runtime 2.14, numpy<2):"; \
	  EDGE_AVATAR_TFLITE_BACKEND=tflite-runtime $(TFLITE_VENV)/bin/python -m pytest -q -p no:cacheprovider \
	    tests/test_inference.py; fi
	SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy $(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(VENV)/bin/python bench/voice_loop.py --json bench/results/voice_loop.json
	$(VENV)/bin/python bench/dialogue.py --json bench/results/dialogue.json
	$(VENV)/bin/python bench/phrase_bias.py --json bench/results/phrase_bias.json
	$(VENV)/bin/python bench/render.py --json bench/results/render.json
	$(VENV)/bin/python bench/memory.py --json bench/results/memory.json
	$(VENV)/bin/python bench/benchmarks_doc.py
