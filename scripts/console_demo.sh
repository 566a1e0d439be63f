#!/usr/bin/env bash
# `make console-demo`: the web console on this machine with two simulated kiosks, ready to try.
# A private Mosquitto on a loopback port, an admin signing key, two simulated kiosks that trust it,
# a console user, and the console itself on http://127.0.0.1:8470 (Ctrl-C stops everything).
# Everything lives in $DEMO (default: ./console-demo); run it again to carry on where you left off.
# Overrides (environment): VENV, DEMO, MQTT_PORT, CONSOLE_PORT, CONSOLE_USER, CONSOLE_PASSWORD, MOSQUITTO.
# The code run is this checkout's (`python -m runtime` from the repository's root), with $VENV's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DEMO=${DEMO:-console-demo}
PORT=${MQTT_PORT:-18883}
CONSOLE_PORT=${CONSOLE_PORT:-8470}
USER_NAME=${CONSOLE_USER:-admin}
PASSWORD=${CONSOLE_PASSWORD:-kiosk-demo-password}
BROKER_START_S=${BROKER_START_S:-20}
EA=("$VENV/bin/python" -m runtime)
mkdir -p "$DEMO/console/trusted-keys" "$DEMO/broker"

die() { echo "console-demo: $*" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || die "no Python at $VENV/bin/python: run 'make setup' (or set VENV=…)"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Debian installs mosquitto in /usr/sbin, which is not on a normal user's PATH.
MOSQUITTO=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
[ -x "$MOSQUITTO" ] || die "no mosquitto broker (looked on PATH and at /usr/sbin/mosquitto): apt-get install mosquitto"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$PORT" > "$DEMO/broker/mosquitto.conf"
"$MOSQUITTO" -c "$DEMO/broker/mosquitto.conf" > "$DEMO/broker/mosquitto.log" 2>&1 &
broker=$!
pids+=("$broker")
# wait for the broker's port (a deadline, not a guess); stop with its log if it died
deadline=$((SECONDS + BROKER_START_S))
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
  if ! kill -0 "$broker" 2>/dev/null; then
    cat "$DEMO/broker/mosquitto.log" >&2
    die "mosquitto ($MOSQUITTO) exited at start (log above; port $PORT in use? set MQTT_PORT=…)"
  fi
  [ "$SECONDS" -lt "$deadline" ] || die "mosquitto ($MOSQUITTO) not listening on 127.0.0.1:$PORT after ${BROKER_START_S} s"
  sleep 0.1
done

if [ ! -f "$DEMO/admin.key.key" ]; then
  "${EA[@]}" bundle keygen --out "$DEMO/admin.key"
fi
cp "$DEMO/admin.key.pub" "$DEMO/console/trusted-keys/admin.pub"
"${EA[@]}" fleet simulate --devices 2 --group demo --trust-key "$DEMO/admin.key.pub" \
  --broker "mqtt://127.0.0.1:$PORT" > "$DEMO/kiosks.log" 2>&1 &
pids+=($!)
echo "$PASSWORD" | "${EA[@]}" console adduser "$USER_NAME" --role admin --data-dir "$DEMO/console"
cat <<INFO

  Open http://127.0.0.1:$CONSOLE_PORT and log in as '$USER_NAME' / '$PASSWORD'.
  Content -> New from the mall-demo template: edit an answer, "Try it", build a bundle signed with
  $DEMO/admin.key.key, hand it to a rollout to group 'demo' and watch the two kiosks commit it.

INFO
"${EA[@]}" console --data-dir "$DEMO/console" --broker "mqtt://127.0.0.1:$PORT" --port "$CONSOLE_PORT" &
pids+=($!)
wait "${pids[-1]}"
