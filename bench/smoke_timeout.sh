#!/bin/sh
# CTest's check that bench-echo-load --timeout bounds a run whatever the server does. Two servers
# that never complete a round trip (written in Python, started here):
#   never-accepts  listens with a backlog of 0 and never accepts: the queue fills, later connects
#                  hang, and only a non-blocking connect can give up on time;
#   trickle        accepts, then sends one byte every 50 ms and never echoes: the generator is
#                  never idle, so the deadline must be checked on every turn, not only when idle.
# Against each, `--timeout 1` must end the run with exit code 1 and a "timed out" error well before
# timeout(1)'s bound of 20 s, which would end it with 124 (a hang) instead.
#   smoke_timeout.sh LOAD_GENERATOR PYTHON
set -u
load="$1"
python="$2"
out=$(mktemp)
trap 'kill "$pid" 2>/dev/null; rm -f "$out"' EXIT

server='
import socket, sys, time
mode = sys.argv[1]
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(0 if mode == "never-accepts" else 64)
print(listener.getsockname()[1], flush=True)
if mode == "never-accepts":
    time.sleep(60)
listener.setblocking(False)
clients = []
for _ in range(1200):
    try:
        while True:
            clients.append(listener.accept()[0])
    except BlockingIOError:
        pass
    for c in clients:
        try:
            c.send(b"x")
        except OSError:
            pass
    time.sleep(0.05)
'

for mode in never-accepts trickle; do
  "$python" -c "$server" "$mode" > "$out" &
  pid=$!
  i=0
  until [ -s "$out" ]; do
    i=$((i + 1))
    [ "$i" -le 100 ] || { echo "smoke_timeout: the $mode server did not start"; exit 1; }
    sleep 0.1
  done
  port=$(head -n 1 "$out")
  result=$(timeout 20 "$load" --port "$port" --clients 20 --messages 5 --timeout 1)
  code=$?
  echo "$mode: exit $code: $result"
  [ "$code" -eq 1 ] || { echo "smoke_timeout: expected exit code 1 against the $mode server"; exit 1; }
  case "$result" in
    *'"ok": false'*'timed out'*) ;;
    *) echo "smoke_timeout: expected a timed-out report against the $mode server"; exit 1 ;;
  esac
  kill "$pid"
  wait "$pid" 2>/dev/null
  : > "$out"
done
echo "smoke_timeout: ok"
