#!/usr/bin/env bash
# `make console-demo`: the web console on this machine with two simulated kiosks, ready to try.
# A private Mosquitto on a loopback port, an admin signing key, two simulated kiosks that trust it,
# a console user, and the console itself on http://127.0.0.1:8470 (Ctrl-C stops everything).
# Everything lives in $DEMO (default: ./console-demo); run it again to carry on where you left off.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DEMO=${DEMO:-console-demo}
PORT=${MQTT_PORT:-18883}
USER_NAME=${CONSOLE_USER:-admin}
PASSWORD=${CONSOLE_PASSWORD:-kiosk-demo-password}
EA="$VENV/bin/edge-avatar"
mkdir -p "$DEMO/console/trusted-keys" "$DEMO/broker"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$PORT" > "$DEMO/broker/mosquitto.conf"
mosquitto -c "$DEMO/broker/mosquitto.conf" > "$DEMO/broker/mosquitto.log" 2>&1 &
pids+=($!)
if [ ! -f "$DEMO/admin.key.key" ]; then
  "$EA" bundle keygen --out "$DEMO/admin.key"
fi
cp "$DEMO/admin.key.pub" "$DEMO/console/trusted-keys/admin.pub"
sleep 1
"$EA" fleet simulate --devices 2 --group demo --trust-key "$DEMO/admin.key.pub" \
  --broker "mqtt://127.0.0.1:$PORT" > "$DEMO/kiosks.log" 2>&1 &
pids+=($!)
echo "$PASSWORD" | "$EA" console adduser "$USER_NAME" --role admin --data-dir "$DEMO/console"
cat <<INFO

  Open http://127.0.0.1:8470 and log in as '$USER_NAME' / '$PASSWORD'.
  Content -> New from the mall-demo template: edit an answer, "Try it", build a bundle signed with
  $DEMO/admin.key.key, hand it to a rollout to group 'demo' and watch the two kiosks commit it.

INFO
"$EA" console --data-dir "$DEMO/console" --broker "mqtt://127.0.0.1:$PORT"
