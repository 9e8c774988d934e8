#!/usr/bin/python3
"""bench/run.py: every benchmark workload against every implementation, side by side.

`make bench` builds the benchmark programs in Release and runs this; it can also run alone:

    /usr/bin/python3 bench/run.py --bin build-bench/bin --out build/bench [--quick] [--only spawn,echo]

Workloads (bench/README.md says what each measures and why):
  spawn     N tasks that each await sleep(0) once, gathered          tasks per second
  timers    N sleepers with seeded deadlines in [0, 100 ms)           CPU seconds
  pingpong  two tasks pass a token through two Queues M times         round trips per second
  echo      C clients x 1 KiB messages against each echo server       server CPU microseconds per round trip
  memory    N tasks pending on one Event                              resident bytes per task

Every program prints one JSON object per run and checks its own result; this script runs each one
several times, interleaving the implementations (so a burst of load from elsewhere hits them all
alike), and writes results.json (every run), results.md (medians, ranges, stage 07's ratios to
asyncio and uvloop) and one PNG plot per workload (gnuplot). It asserts nothing about timing. It
exits 1 if a run failed its own check or a server could not start, 2 for a bad argument, 130 on
Ctrl-C (after stopping every server it started).
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time

PYTHON = "/usr/bin/python3"   # Debian's, with python3-uvloop: the peers must not depend on a venv
HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "python", "peers.py")

# The sizes of a full run; QUICK=1 runs small ones (a smoke test, under two minutes).
SIZES = {
    "full": {
        "spawn": [10**4, 10**5, 10**6],
        "timers": [10**3, 10**4, 10**5],
        "pingpong": [10**6],
        "echo_clients": [20, 200],
        "echo_round_trips": 100_000,   # per run, spread over the clients
        "memory": [10**5, 10**6],
        "repeats": 5,
        "repeats_large": 3,            # where one run takes seconds: N >= 10^6, the list at 10^4, echo
        "list_limit": 10**4,
        "timeout": 600,
    },
    "quick": {
        "spawn": [10**4, 10**5],
        "timers": [10**3, 10**4],
        "pingpong": [10**5],
        "echo_clients": [20, 200],
        "echo_round_trips": 10_000,
        "memory": [10**5],
        "repeats": 3,
        "repeats_large": 3,
        "list_limit": 10**3,
        "timeout": 120,
    },
}
MESSAGE_SIZE = 1024
# The sorted list re-sorts all N entries on every insert: 2N inserts cost O(N^2 log N). At 10^4 a run
# takes about ten seconds; at 10^5 it would take about a thousand times longer. Above list_limit it is
# not run (QUICK stops at 10^3).

# What each workload reports, and which way is better.
METRICS = {
    "spawn": ("per_s", "tasks per second", True),
    "timers": ("cpu_s", "CPU seconds", False),
    "pingpong": ("per_s", "round trips per second", True),
    "echo": ("server_cpu_us_per_rt", "server CPU us per round trip", False),
    "memory": ("bytes_per_task", "bytes per pending task", False),
}
TITLES = {
    "spawn": "spawn: N tasks that each await sleep(0) once, gathered",
    "timers": "timers: N sleepers with seeded random deadlines in [0, 100 ms)",
    "pingpong": "pingpong: two tasks pass a token through two Queues M times",
    "echo": "echo: TCP echo on 127.0.0.1, 1 KiB messages, one load generator for every server",
    "memory": "memory: N tasks pending on one Event",
}
COLORS = {"stage07": "#6a3d9a", "stage02-list": "#e31a1c", "stage02-heap": "#1f78b4", "asyncio": "#ff7f00",
          "uvloop": "#33a02c"}
IMPL_NAMES = {
    "stage07": "looplab stage 07",
    "stage02-list": "looplab stage 02, sorted list",
    "stage02-heap": "looplab stage 02, heap",
    "asyncio": "asyncio",
    "uvloop": "uvloop",
}


# --- child processes: never outlive this script ---------------------------------------------------

def die_with_parent():
    """Runs in the child before exec: ask the kernel for SIGTERM when this script dies, even by SIGKILL."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def run_json(argv, timeout):
    """Runs one benchmark program; returns its JSON object, or one that says why there is none."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, preexec_fn=die_with_parent)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"no result after {timeout} s (killed)"}
    except OSError as e:
        return {"ok": False, "error": f"cannot run {argv[0]}: {e}"}
    lines = p.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (p.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        return {"ok": False, "error": f"exit code {p.returncode}, no JSON line: {tail}"}
    if p.returncode != 0 and result.get("ok", True):
        result.update(ok=False, error=f"exit code {p.returncode}")
    return result


class Server:
    """An echo server started on port 0; its port comes from its first line, `listening on 127.0.0.1:PORT`."""

    running = []   # every server started and not yet stopped, for the Ctrl-C path

    def __init__(self, name, argv, log_path, timeout=15):
        self.name, self.argv, self.port, self.error = name, argv, None, None
        self.log = open(log_path, "w")
        try:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, preexec_fn=die_with_parent)
        except OSError as e:
            self.proc, self.error = None, f"cannot start: {e}"
            return
        Server.running.append(self)
        line = read_line(self.proc.stdout.fileno(), timeout)
        prefix = "listening on 127.0.0.1:"
        if line is not None and line.startswith(prefix) and line[len(prefix):].strip().isdigit():
            self.port = int(line[len(prefix):])
        else:
            code = self.proc.poll()
            said = f"its first line was {line!r}" if line else "it printed no first line"
            self.error = (f"did not start: exited with code {code}, {said}" if code is not None
                          else f"did not start within {timeout} s: {said}")
            self.stop()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL if it has not exited after 5 s. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in Server.running:
            Server.running.remove(self)
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


def read_line(fd, timeout):
    """The first line a child writes on `fd`, or None if none comes within `timeout` seconds."""
    data, deadline = b"", time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n")[0].decode(errors="replace") if data else None


# --- progress -------------------------------------------------------------------------------------

class Progress:
    """One line that says what runs now: rewritten in place on a terminal, a line per run in a log."""

    def __init__(self, total):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.tty = sys.stderr.isatty()

    def show(self, what):
        self.done += 1
        elapsed = int(time.monotonic() - self.start)
        line = f"bench [{self.done}/{self.total}] {elapsed // 60}:{elapsed % 60:02d}  {what}"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def note(self, text):
        sys.stderr.write(("\r\033[K" if self.tty else "") + text + "\n")
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


# --- the plan -------------------------------------------------------------------------------------

def echo_servers(bindir):
    """The echo servers: (name, command with port 0, or None and why not)."""
    servers = [("looplab stage 04", [os.path.join(bindir, "04-nonblocking-sockets"), "--serve", "0"])]
    sockets = os.path.join(bindir, "bench-stage07-echo")
    servers.append(("looplab stage 07 sockets", [sockets, "--serve", "0"] if os.path.exists(sockets) else
                    "bench-stage07-echo was not built (make bench builds it)"))
    stage07 = os.path.join(bindir, "07-streams")
    if serves(stage07):
        servers.append(("looplab stage 07 streams", [stage07, "--serve", "0"]))
    else:
        servers.append(("looplab stage 07 streams", "07-streams was not built or has no --serve option"))
    servers.append(("asyncio streams", [PYTHON, PEERS, "--loop", "asyncio", "serve", "--port", "0"]))
    servers.append(("uvloop streams", [PYTHON, PEERS, "--loop", "uvloop", "serve", "--port", "0"]))
    servers.append(("plain epoll (the floor)", [os.path.join(bindir, "bench-epoll-echo"), "--serve", "0"]))
    return servers


def serves(binary):
    """True when a stage binary has a --serve option (its --help says so)."""
    try:
        out = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--serve" in out


def command(bindir, impl, workload, n):
    if impl == "stage07":
        return [os.path.join(bindir, "bench-stage07"), workload, "--n", str(n)]
    if impl.startswith("stage02-"):
        return [os.path.join(bindir, "bench-stage02"), "--queue", impl.split("-")[1], "--tasks", str(n)]
    return [PYTHON, PEERS, "--loop", impl, workload, "--n", str(n)]


def plan(sizes, only):
    """The groups to run: (workload, n, [(implementation, repeats)]), plus what is skipped and why."""
    groups, skipped = [], []
    impls = {"spawn": ["stage07", "asyncio", "uvloop"],
             "timers": ["stage02-list", "stage02-heap", "stage07", "asyncio", "uvloop"],
             "pingpong": ["stage07", "asyncio", "uvloop"],
             "memory": ["stage07", "asyncio"]}
    for workload in ["spawn", "timers", "pingpong", "memory"]:
        if workload not in only:
            continue
        for n in sizes[workload]:
            todo = []
            for impl in impls[workload]:
                if impl == "stage02-list" and n > sizes["list_limit"]:
                    skipped.append({"workload": workload, "impl": impl, "params": {"n": n},
                                    "skipped": f"not run above N = {sizes['list_limit']:,}: 2N inserts that each "
                                               "re-sort the whole list cost O(N^2 log N)"})
                    continue
                slow = n >= 10**6 or (impl == "stage02-list" and n >= 10**4)
                todo.append((impl, sizes["repeats_large"] if slow else sizes["repeats"]))
            groups.append((workload, n, todo))
    return groups, skipped


# --- running --------------------------------------------------------------------------------------

def run_groups(groups, bindir, sizes, progress, records):
    for workload, n, impls in groups:
        for rep in range(max(r for _, r in impls)):
            for impl, repeats in impls:
                if rep >= repeats:
                    continue
                progress.show(f"{workload} n={n:,} {impl} (run {rep + 1} of {repeats})")
                result = run_json(command(bindir, impl, workload, n), sizes["timeout"])
                add_run(records, workload, impl, {"n": n}, result, progress)


def run_echo(bindir, sizes, outdir, progress, records):
    """Starts every server, drives each with the load generator (interleaved), stops them all."""
    servers = []
    for name, argv in echo_servers(bindir):
        if isinstance(argv, str):
            for c in sizes["echo_clients"]:
                records.append({"workload": "echo", "impl": name, "params": echo_params(sizes, c), "skipped": argv})
            continue
        progress.note(f"bench: starting {name}: {' '.join(argv)}")
        log = os.path.join(outdir, "logs", "echo-" + "".join(ch if ch.isalnum() else "-" for ch in name) + ".log")
        s = Server(name, argv, log)
        if s.error:
            progress.note(f"bench: {name} {s.error} (log: {log})")
            for c in sizes["echo_clients"]:
                add_run(records, "echo", name, echo_params(sizes, c), {"ok": False, "error": s.error}, progress)
        else:
            servers.append(s)
    try:
        repeats = sizes["repeats"] if sizes is SIZES["quick"] else sizes["repeats_large"]
        for c in sizes["echo_clients"]:
            params = echo_params(sizes, c)
            for rep in range(repeats):
                for s in servers:
                    progress.show(f"echo clients={c} {s.name} (run {rep + 1} of {repeats})")
                    if not s.alive():
                        result = {"ok": False, "error": f"the server exited (code {s.proc.returncode})"}
                    else:
                        load = os.path.join(bindir, "bench-echo-load")
                        result = run_json([load, "--port", str(s.port), "--pid", str(s.pid), "--clients", str(c),
                                           "--messages", str(params["messages"]), "--size", str(MESSAGE_SIZE),
                                           "--timeout", str(sizes["timeout"])], sizes["timeout"] + 30)
                    add_run(records, "echo", s.name, params, result, progress)
    finally:
        for s in servers:
            code = s.stop()
            if code not in (0, None):
                progress.note(f"bench: {s.name} exited with code {code} when stopped")


def echo_params(sizes, clients):
    return {"clients": clients, "messages": sizes["echo_round_trips"] // clients, "size": MESSAGE_SIZE}


def add_run(records, workload, impl, params, result, progress):
    for r in records:
        if r["workload"] == workload and r["impl"] == impl and r["params"] == params and "runs" in r:
            break
    else:
        r = {"workload": workload, "impl": impl, "params": params, "runs": []}
        records.append(r)
    r["runs"].append(result)
    if not result.get("ok", False):
        progress.note(f"bench: FAILED {workload} {impl} {params}: {result.get('error', 'no error given')}")


def summarise(records):
    """Adds median, min, max of every numeric field over the good runs of each record."""
    for r in records:
        if "runs" not in r:
            continue
        good = [run for run in r["runs"] if run.get("ok")]
        r["ok"] = len(good) == len(r["runs"])
        r["errors"] = sorted({run.get("error", "?") for run in r["runs"] if not run.get("ok")})
        stats = {}
        for key in sorted({k for run in good for k, v in run.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}):
            values = [run[key] for run in good if key in run]
            stats[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
        r["stats"] = stats
        metric = METRICS[r["workload"]][0]
        if metric in stats:
            r.update(metric=metric, unit=METRICS[r["workload"]][1], **stats[metric], repeats=len(good))
        if "peak_rss_kb" in stats:
            r["peak_rss_kb"] = stats["peak_rss_kb"]["max"]


# --- the report -----------------------------------------------------------------------------------

def find(records, workload, impl, **params):
    for r in records:
        if r["workload"] == workload and r["impl"] == impl and all(r["params"].get(k) == v for k, v in params.items()):
            return r
    return None


def better_than(workload, value, reference):
    """How many times better `value` is than `reference` (throughput: ratio; cost: inverse ratio)."""
    if not value or not reference:
        return None
    return value / reference if METRICS[workload][2] else reference / value


def ratios(records):
    """Stage 07 against asyncio and uvloop (and, for echo, the epoll floor) at the largest size run,
    beside the speed targets, which belong to the speed stage to come: stage 07 is a teaching stage,
    so a ratio below its target is reported as where it stands, not as a failure."""
    out = []

    def ratio(workload, impl, ref, **params):
        a, b = find(records, workload, impl, **params), find(records, workload, ref, **params)
        return better_than(workload, a and a.get("median"), b and b.get("median"))

    def largest(workload):
        ns = [r["params"]["n"] for r in records if r["workload"] == workload and r.get("median")]
        return max(ns) if ns else None

    for workload, what, target in [("spawn", "spawn: tasks per second", "50x asyncio"),
                                   ("pingpong", "pingpong: round trips per second", "30x asyncio"),
                                   ("timers", "timers: CPU time", "30x asyncio"),
                                   ("memory", "memory: bytes per pending task", "5x asyncio")]:
        n = largest(workload)
        if n is None:
            continue
        out.append({"what": what, "at": f"{'M' if workload == 'pingpong' else 'N'} = {n:,}",
                    "asyncio": ratio(workload, "stage07", "asyncio", n=n),
                    "uvloop": ratio(workload, "stage07", "uvloop", n=n), "target": target})
    ours = "looplab stage 07 streams"
    for c in sorted({r["params"]["clients"] for r in records if r["workload"] == "echo"}):
        floor = ratio("echo", ours, "plain epoll (the floor)", clients=c)
        out.append({"what": "echo: streams' server CPU per round trip", "at": f"C = {c}",
                    "asyncio": ratio("echo", ours, "asyncio streams", clients=c),
                    "uvloop": ratio("echo", ours, "uvloop streams", clients=c),
                    "target": "3x asyncio, 1x uvloop, within 1.3x of the floor's cost"
                              + (f" (now {1 / floor:.2f}x)" if floor else "")})
    return out


def fmt(value, unit=""):
    if value is None:
        return "-"
    if unit == "CPU seconds":
        return f"{value:.3g} s" if value >= 0.01 else f"{value * 1000:.3g} ms"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def fmt_ratio(r):
    if r is None:
        return "-"
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def markdown(result):
    records, machine = result["records"], result["machine"]
    lines = [f"# looplab benchmarks{' (QUICK sizes)' if result['quick'] else ''}", "",
             f"{machine['cpu']} ({machine['cores']} cores), {machine['kernel']}; "
             f"{machine['compiler']} ({machine['build']}); Python {machine['python']}, uvloop {machine['uvloop']}.", ""]
    for m in result.get("sessions", [machine]):
        what = ", ".join(m["workloads"]) if "workloads" in m else "every workload"
        took = f"; the run took {result['wall_s']:.0f} s" if m is machine or m == machine else ""
        lines.append(f"- {what}: {m['date']}, load average {m['load_before']} before, {m['load_after']} after "
                     f"({machine['cores']} cores){took}.")
    lines += ["",
             "Each figure is the median of the runs (the implementations take turns, run by run), with the "
             "range (min - max) beside it. The last column says how many times better than asyncio "
             "(higher throughput, or lower cost).", ""]
    for workload in ["spawn", "timers", "pingpong", "echo", "memory"]:
        rows = [r for r in records if r["workload"] == workload]
        if not rows:
            continue
        metric, unit, higher = METRICS[workload]
        lines += [f"## {TITLES[workload]}", "", f"Figure: {unit} ({'higher' if higher else 'lower'} is better).", ""]
        if workload == "echo":
            lines += ["| clients | server | server CPU us/round trip (median) | range | round trips/s | "
                      "load generator CPU us/round trip | runs | x asyncio |",
                      "|---:|---|---:|---:|---:|---:|---:|---:|"]
        elif workload == "memory":
            lines += ["| N | implementation | bytes per task (median) | range | peak RSS | runs | x asyncio |",
                      "|---:|---|---:|---:|---:|---:|---:|"]
        elif workload in ("spawn", "pingpong"):
            lines += [f"| N | implementation | {unit} (median) | range | per CPU second | runs | x asyncio |",
                      "|---:|---|---:|---:|---:|---:|---:|"]
        else:
            lines += [f"| N | implementation | {unit} (median) | range | runs | x asyncio |",
                      "|---:|---|---:|---:|---:|---:|"]
        ncols = lines[-1].count("|") - 1
        for r in rows:
            p = r["params"]
            key = p.get("clients", p.get("n"))
            ref = find(records, workload, "asyncio streams" if workload == "echo" else "asyncio",
                       **({"clients": key} if workload == "echo" else {"n": key}))
            name = IMPL_NAMES.get(r["impl"], r["impl"])
            if "skipped" in r or r.get("median") is None:
                why = r["skipped"] if "skipped" in r else "; ".join(r["errors"])
                cells = [f"{key:,}", name, "not run" if "skipped" in r else "failed", why]
                lines.append("| " + " | ".join(cells + [""] * (ncols - len(cells))) + " |")
                continue
            rng = f"{fmt(r['min'], unit)} - {fmt(r['max'], unit)}"
            runs = f"{r['repeats']}" + ("" if r["ok"] else f" (+{len(r['runs']) - r['repeats']} failed)")
            ratio = fmt_ratio(better_than(workload, r["median"], ref and ref.get("median")))
            if workload == "echo":
                st = r["stats"]
                lines.append(f"| {key} | {r['impl']} | {fmt(r['median'])} | {rng} | "
                             f"{fmt(st['round_trips_per_s']['median'])} | {fmt(st['load_cpu_us_per_rt']['median'])} | "
                             f"{runs} | {ratio} |")
            elif workload == "memory":
                lines.append(f"| {key:,} | {name} | {fmt(r['median'])} | {rng} | "
                             f"{r.get('peak_rss_kb', 0) / 1024:.0f} MiB | {runs} | {ratio} |")
            elif workload in ("spawn", "pingpong"):
                per_cpu = key / r["stats"]["cpu_s"]["median"] if r["stats"].get("cpu_s", {}).get("median") else None
                lines.append(f"| {key:,} | {name} | {fmt(r['median'], unit)} | {rng} | {fmt(per_cpu)} | {runs} | {ratio} |")
            else:
                lines.append(f"| {key:,} | {name} | {fmt(r['median'], unit)} | {rng} | {runs} | {ratio} |")
        lines.append("")
        if workload == "echo":
            shapes = sorted({(r["params"]["clients"], r["params"]["messages"]) for r in rows}, key=lambda cm: cm[0])
            total = shapes[0][0] * shapes[0][1]
            lines += [f"Each run: {total:,} round trips of {rows[0]['params']['size']:,} bytes ("
                      + ", ".join(f"{c} clients x {m:,}" for c, m in shapes) + "), after one unmeasured round trip "
                      "per client. Round trips per second and the load generator's own CPU time are medians too. "
                      "Server CPU is read from /proc/PID/stat in clock ticks (10 ms), before and after the "
                      "measured round trips.", ""]
    lines += ["## Stage 07 against asyncio and uvloop (same machine, same run)", "",
              "How many times better stage 07 is, at the largest size run. Stage 07 is a teaching stage: it "
              "takes back the speed moves for clarity. The speed targets in the last column belong to the "
              "speed stage to come; they are shown for scale, not as a pass or a fail.", "",
              "| workload | at | x asyncio | x uvloop | the speed stage's target |", "|---|---|---:|---:|---|"]
    for t in ratios(records):
        lines.append(f"| {t['what']} | {t['at']} | {fmt_ratio(t['asyncio'])} | {fmt_ratio(t['uvloop'])} | "
                     f"{t['target']} |")
    lines.append("")
    return "\n".join(lines)


# --- plots ----------------------------------------------------------------------------------------

def plots(records, outdir):
    """One PNG per workload, drawn by gnuplot from .dat files beside them. Returns the PNG names."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return []
    made = []
    common = ('set terminal pngcairo size 900,540 font "sans,11"\nset grid\nset key left top\n'
              'set style data yerrorlines\nset pointsize 1.2\nset bmargin 4\n')

    def by_n(workload, ylabel, logy, fname, title):
        impls = [i for i in IMPL_NAMES if any(r["impl"] == i and r["workload"] == workload and r.get("median")
                                                  for r in records)]
        if not impls:
            return
        series = []
        ns = [r["params"]["n"] for r in records if r["workload"] == workload and r.get("median")]
        for i in impls:
            dat = os.path.join(outdir, f"{fname}-{i}.dat")
            with open(dat, "w") as f:
                for r in sorted((r for r in records if r["workload"] == workload and r["impl"] == i and r.get("median")),
                                key=lambda r: r["params"]["n"]):
                    f.write(f"{r['params']['n']} {r['median']} {r['min']} {r['max']}\n")
            series.append(f"'{dat}' using 1:2:3:4 title {q(IMPL_NAMES[i])} lw 2 lc rgb '{COLORS[i]}'")
        script = (common + f"set output '{os.path.join(outdir, fname)}.png'\nset title {q(title)}\n"
                  f"set logscale x\n{'set logscale y' if logy else ''}\nset xlabel 'N'\nset ylabel {q(ylabel)}\n"
                  "set format x '10^{%L}'\nset format y '10^{%L}'\n"
                  f"set xrange [{min(ns) / 1.6}:{max(ns) * 1.6}]\n"
                  "plot " + ", \\\n     ".join(series) + "\n")
        if draw(gnuplot, script, os.path.join(outdir, fname + ".gp")):
            made.append(fname + ".png")

    def bars(workload, ylabel, logy, fname, title, group_key, group_label):
        rows = [r for r in records if r["workload"] == workload and r.get("median")]
        if not rows:
            return
        impls = list(dict.fromkeys(r["impl"] for r in rows))
        groups = sorted({r["params"][group_key] for r in rows})
        dat = os.path.join(outdir, f"{fname}.dat")
        with open(dat, "w") as f:
            f.write("# implementation " + " ".join(f"v{g} lo{g} hi{g}" for g in groups) + "\n")
            for i in impls:
                cells = []
                for g in groups:
                    r = find(records, workload, i, **{group_key: g})
                    cells += [r["median"], r["min"], r["max"]] if r and r.get("median") else ["NaN"] * 3
                label = IMPL_NAMES.get(i, i).replace("looplab ", "").replace(" ", "\\n", 1)
                f.write(f"\"{label}\" " + " ".join(str(c) for c in cells) + "\n")
        cols = [f"'{dat}' using {2 + 3 * k}:{3 + 3 * k}:{4 + 3 * k}:xtic(1) title {q(f'{group_label} {g:,}')}"
                for k, g in enumerate(groups)]
        script = (common + f"set output '{os.path.join(outdir, fname)}.png'\nset title {q(title)}\n"
                  "set style data histograms\nset style histogram errorbars gap 1 lw 1\n"
                  "set style fill solid 0.7 border -1\nset boxwidth 0.9\nset key right top\n"
                  f"{'set logscale y' + chr(10) + 'set format y ' + q('10^{%L}') if logy else 'set yrange [0:*]'}\n"
                  f"set ylabel {q(ylabel)}\n"
                  "set xtics font ',9'\nplot " + ", \\\n     ".join(cols) + "\n")
        if draw(gnuplot, script, os.path.join(outdir, fname + ".gp")):
            made.append(fname + ".png")

    by_n("spawn", "tasks per second (log)", True, "spawn", "spawn: tasks created and completed per second")
    by_n("timers", "CPU seconds (log)", True, "timers", "timers: CPU time for N sleepers (the sorted list's curve is the lesson)")
    bars("pingpong", "round trips per second (log)", True, "pingpong", "pingpong: round trips per second", "n", "M =")
    bars("echo", "server CPU us per round trip", False, "echo", "echo: server CPU per round trip (lower is better)",
         "clients", "clients:")
    bars("memory", "bytes per pending task", False, "memory", "memory: resident bytes per task pending on one Event",
         "n", "N =")
    return made


def q(text):
    """A gnuplot string literal: single quotes, with a quote inside written twice."""
    return "'" + text.replace("'", "''") + "'"


def draw(gnuplot, script, path):
    with open(path, "w") as f:
        f.write(script)
    p = subprocess.run([gnuplot, path], capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(f"bench: gnuplot failed on {path}: {p.stderr.strip()}\n")
    return p.returncode == 0


# --- the machine ----------------------------------------------------------------------------------

def machine(bindir):
    def first(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"

    cpu, cores = "unknown CPU", 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and cpu == "unknown CPU":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("processor"):
                cores += 1
    cache, compiler, build = {}, "unknown compiler", "unknown build"
    cache_path = os.path.join(os.path.dirname(os.path.abspath(bindir)), "CMakeCache.txt")
    if os.path.exists(cache_path):
        with open(cache_path) as f:
            for line in f:
                if ":" in line and "=" in line and not line.startswith(("//", "#")):
                    k, v = line.rstrip("\n").split("=", 1)
                    cache[k.split(":")[0]] = v
        compiler = first([cache.get("CMAKE_CXX_COMPILER", "c++"), "--version"])
        bt = cache.get("CMAKE_BUILD_TYPE", "?")
        build = f"{bt}, {cache.get('CMAKE_CXX_FLAGS_' + bt.upper(), '').strip()}".rstrip(", ")
    u = platform.uname()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": cores, "kernel": f"{u.system} {u.release} {u.machine}",
        "compiler": compiler, "build": build,
        "python": first([PYTHON, "-c", "import platform; print(platform.python_version())"]),
        "uvloop": first([PYTHON, "-c", "import uvloop; print(uvloop.__version__)"]),
        "load_before": "%.2f %.2f %.2f" % os.getloadavg(),
    }


# --- main -----------------------------------------------------------------------------------------

def write_report(result, outdir):
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(markdown(result))


def interrupted(signo, frame):
    """SIGTERM ends the run the way Ctrl-C does: through the finally that stops the servers."""
    raise KeyboardInterrupt

def main(argv):
    parser = argparse.ArgumentParser(description="Runs looplab's benchmarks; see bench/README.md.")
    parser.add_argument("--bin", required=True, help="the directory of the built programs (build-bench/bin)")
    parser.add_argument("--out", required=True, help="where results.json, results.md and the plots go")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, under two minutes")
    parser.add_argument("--only", default="spawn,timers,pingpong,echo,memory",
                        help="a comma-separated subset of the workloads (default: all)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the results of the other workloads from OUT/results.json (with --only)")
    parser.add_argument("--report-only", action="store_true",
                        help="run nothing: rewrite results.md and the plots from OUT/results.json")
    args = parser.parse_args(argv)
    if args.report_only:
        with open(os.path.join(args.out, "results.json")) as f:
            result = json.load(f)
        result["plots"] = plots(result["records"], args.out)
        write_report(result, args.out)
        return 0
    only = set(args.only.split(","))
    unknown = only - set(METRICS)
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(sorted(unknown))}")
    needed = ["bench-stage02", "bench-stage07", "bench-echo-load", "bench-epoll-echo", "04-nonblocking-sockets"]
    missing = [b for b in needed if not os.access(os.path.join(args.bin, b), os.X_OK)]
    if missing:
        parser.error(f"not built in {args.bin}: {', '.join(missing)} (make bench builds them)")
    if not os.access(PYTHON, os.X_OK):
        parser.error(f"{PYTHON} is missing (make bench installs python3 and python3-uvloop)")

    sizes = SIZES["quick" if args.quick else "full"]
    os.makedirs(os.path.join(args.out, "logs"), exist_ok=True)
    info = machine(args.bin)
    groups, records = plan(sizes, only)
    total = sum(reps for _, _, impls in groups for _, reps in impls)
    if "echo" in only:
        live = sum(1 for _, a in echo_servers(args.bin) if not isinstance(a, str))
        total += live * len(sizes["echo_clients"]) * (sizes["repeats"] if args.quick else sizes["repeats_large"])
    progress = Progress(total)
    progress.note(f"bench: {total} runs ({'QUICK' if args.quick else 'full'} sizes), load average {info['load_before']}; "
                  f"results in {args.out}/")

    # Ctrl-C or SIGTERM: stop the servers (finally below), say so, exit 130.
    signal.signal(signal.SIGTERM, interrupted)
    start = time.monotonic()
    try:
        run_groups([g for g in groups if g[0] != "memory"], args.bin, sizes, progress, records)
        if "echo" in only:
            run_echo(args.bin, sizes, args.out, progress, records)
        run_groups([g for g in groups if g[0] == "memory"], args.bin, sizes, progress, records)
    except KeyboardInterrupt:
        progress.finish()
        sys.stderr.write("bench: interrupted; stopping the servers\n")
        return 130
    finally:
        for s in list(Server.running):
            s.stop()
    progress.finish()

    order = {w: i for i, w in enumerate(["spawn", "timers", "pingpong", "echo", "memory"])}
    info["load_after"] = "%.2f %.2f %.2f" % os.getloadavg()
    info["workloads"] = sorted(only, key=list(METRICS).index)
    sessions = [info]
    if args.merge and os.path.exists(os.path.join(args.out, "results.json")):
        # Keep what this run did not measure; the report names each session with its time and load.
        with open(os.path.join(args.out, "results.json")) as f:
            old = json.load(f)
        records += [r for r in old["records"] if r["workload"] not in only]
        kept = [w for w in old["machine"].get("workloads", list(METRICS)) if w not in only]
        sessions = [dict(m, workloads=[w for w in m.get("workloads", list(METRICS)) if w in kept])
                    for m in old.get("sessions", [old["machine"]])] + [info]
        sessions = [m for m in sessions if m["workloads"]]
    impl_order = list(IMPL_NAMES) + [name for name, _ in echo_servers(args.bin)]
    records.sort(key=lambda r: (order[r["workload"]], r["params"].get("clients", r["params"].get("n", 0)),
                                impl_order.index(r["impl"]) if r["impl"] in impl_order else len(impl_order)))
    summarise(records)
    result = {"quick": args.quick, "machine": info, "sessions": sessions, "wall_s": time.monotonic() - start,
              "records": records}
    result["plots"] = plots(records, args.out)
    write_report(result, args.out)
    failed = [r for r in records if "runs" in r and not r["ok"]]
    print(f"bench: {len(records)} results in {result['wall_s']:.0f} s; wrote {args.out}/results.json, results.md"
          + (f" and {len(result['plots'])} plots" if result["plots"] else " (no plots: gnuplot is missing)"))
    for t in ratios(records):
        print(f"bench: stage 07, {t['what']} ({t['at']}): {fmt_ratio(t['asyncio'])} asyncio, "
              f"{fmt_ratio(t['uvloop'])} uvloop")
    if failed:
        print(f"bench: {len(failed)} results had failed runs: " +
              "; ".join(f"{r['workload']} {r['impl']} {r['params']}: {', '.join(r['errors'])}" for r in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
