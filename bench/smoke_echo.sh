#!/bin/sh
# CTest's end-to-end check of the echo benchmark's plumbing: start a server on port 0, read its port
# from its first line, drive it with bench-echo-load (a few round trips, every byte checked), stop it
# with SIGTERM and expect exit code 0 from both. Bounded: the server gets 10 s to say its port, the
# load generator --timeout 20.
#   smoke_echo.sh LOAD_GENERATOR SERVER [SERVER ARGS...]     (the server's args end with its port, 0)
set -u
load="$1"
shift
out=$(mktemp)
trap 'kill "$pid" 2>/dev/null; rm -f "$out"' EXIT
"$@" > "$out" &
pid=$!
i=0
until grep -q '^listening on 127.0.0.1:' "$out"; do
  i=$((i + 1))
  if [ "$i" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "smoke_echo: the server did not print 'listening on 127.0.0.1:PORT' within 10 s"; cat "$out"; exit 1
  fi
  sleep 0.1
done
port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -n 1)
"$load" --port "$port" --pid "$pid" --clients 5 --messages 20 --timeout 20 || { echo "smoke_echo: the load generator failed"; exit 1; }
kill -TERM "$pid"
wait "$pid"
code=$?
[ "$code" -eq 0 ] || { echo "smoke_echo: the server exited with code $code after SIGTERM"; cat "$out"; exit 1; }
echo "smoke_echo: ok"
