#!/usr/bin/env bash
# arm64 smoke test: an arm64 Debian 12 root (debootstrap + qemu-user-static), the README set-up inside
# it, then a smoke run: load the content, synthesise an answer with Piper, lip-sync it with the int8
# LiteRT model, render frames, answer the bundled question end to end, verify and install a signed
# bundle, run the inference tests. Slow (emulated): not in every CI run.
#
#   sudo bench/arm64_smoke.sh [ROOT]            # default ROOT: /var/tmp/edge-avatar-arm64
# Needs: apt-get install debootstrap qemu-user-static binfmt-support; binfmt_misc mounted
# (mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc). Writes bench/results/arm64_smoke.json.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
ROOT=${1:-/var/tmp/edge-avatar-arm64}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
started=$(date +%s)
step() { echo "[$(( $(date +%s) - started ))s] $*"; }

[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "qemu-aarch64 binfmt not registered" >&2; exit 2; }
if [ ! -x "$ROOT/usr/bin/python3" ]; then
  step "debootstrap arm64 bookworm into $ROOT"
  debootstrap --arch=arm64 --variant=minbase --include=ca-certificates,git,make,sudo bookworm "$ROOT" "$MIRROR" >/dev/null
fi
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
trap 'umount "$ROOT/proc" "$ROOT/dev" 2>/dev/null || true' EXIT
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/host-ca.crt"   # the host's trust (proxies)
rm -rf "$ROOT/opt/edge-avatar" && mkdir -p "$ROOT/opt/edge-avatar"
git -C "$REPO" archive HEAD | tar -x -C "$ROOT/opt/edge-avatar"
[ -d "$REPO/../shared" ] && rm -rf "$ROOT/opt/shared" && cp -r "$REPO/../shared" "$ROOT/opt/shared" || true

step "README set-up inside the arm64 root (scripts/setup.sh: apt, venv, pip)"
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  PIP_CERT=/etc/ssl/certs/host-ca.crt PIP_DEFAULT_TIMEOUT=180 \
  bash -c "cd /opt/edge-avatar && uname -m && scripts/setup.sh" 2>&1 | tail -5
setup_done=$(date +%s)

step "smoke run (emulated arm64)"
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy bash -c '
set -e
cd /opt/edge-avatar
.venv/bin/python - <<PY
import json, platform, time, datetime as dt, tempfile, pathlib
t0 = time.perf_counter()
from runtime.config import DEFAULT_CONTENT
from runtime.dialogue.content_pack import load_content_pack
from runtime.dialogue.responder import Responder
from runtime.models import ModelCatalog
from runtime.backends import make_synthesizer
pack = load_content_pack(DEFAULT_CONTENT)
answer = Responder(pack).session().reply("What time do you open?", 0.0, dt.datetime(2026, 11, 25, 10, tzinfo=dt.timezone.utc), "en")
voice = make_synthesizer(ModelCatalog.load(), "en", deterministic=True)
segments = list(voice.synthesize(answer.text))
audio = sum(s.audio.seconds for s in segments)
from runtime.inference import choose_backend
from runtime.lipsync.audio_visemes import load_audio_visemes
backend = choose_backend()
lips = load_audio_visemes(ModelCatalog.load(), backend)
t1 = time.perf_counter()
shapes = sorted({v for seg in segments for _, v in lips.keys(seg.audio)})
lips_s = time.perf_counter() - t1
from runtime.avatar_view import open_rig
from runtime.avatar.rig_animator import AvatarMode, Inputs, RigAnimator
from runtime.renderer.rig_renderer import RigRenderer
import pygame; pygame.init()
rig = open_rig(None, 480)
renderer, animator = RigRenderer(rig, 270, 480), RigAnimator(rig, seed=1)
for i in range(30):
    surface = renderer.draw(animator.step(1 / 30, Inputs(AvatarMode.SPEAKING, "aa")))
print(json.dumps({"machine": platform.machine(), "python": platform.python_version(), "intent": answer.intent,
                  "answer_audio_s": round(audio, 2), "frames": 30, "smoke_s": round(time.perf_counter() - t0, 1),
                  "litert_backend": backend.name, "litert_lipsync_shapes": shapes,
                  "litert_lipsync_s": round(lips_s, 2)}))
PY
.venv/bin/edge-avatar run --output null --display headless --pace fast --max-turns 1 --out-dir /tmp/smoke | tail -3
.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_fleet_bundles.py tests/test_fleet_installer.py tests/test_inference.py -k "not random" 2>&1 | tail -2
' | tee /tmp/arm64_smoke.out
ended=$(date +%s)
mkdir -p bench/results
python3 - "$started" "$setup_done" "$ended" <<'PY'
import json, sys
started, setup, ended = map(int, sys.argv[1:4])
lines = open("/tmp/arm64_smoke.out").read().splitlines()
smoke = next(json.loads(l) for l in lines if l.startswith("{"))
json.dump({**smoke, "setup_s": setup - started, "total_s": ended - started, "tail": lines[-6:]},
          open("bench/results/arm64_smoke.json", "w"), indent=2)
print(json.dumps(smoke), f"set-up {setup - started} s, total {ended - started} s")
PY
