#!/usr/bin/python3
"""The asyncio and uvloop peers of looplab's benchmark programs.

Each workload here does the same work as its C++ twin in bench/ (bench-stage07, bench-stage02 for
the timers), checks its own result the same way, times itself the same way (from inside the main
coroutine: creating the work included, making and closing the loop not), and prints one JSON object
on one line. `serve` is the echo server of the echo workload, on asyncio streams.

    /usr/bin/python3 bench/python/peers.py --loop asyncio spawn --n 100000
    /usr/bin/python3 bench/python/peers.py --loop uvloop serve --port 0

--loop asyncio is asyncio's default loop on Linux (a selector loop over epoll); --loop uvloop is
uvloop (libuv underneath), Debian's python3-uvloop. A bad argument exits 2 (argparse).
"""

import argparse
import asyncio
import json
import os
import signal
import sys
import time

# The seeded generator of the deadlines, bit for bit as common/include/looplab/random.hpp documents
# it: the Python twins of stage 07 have it already, so the timers workload draws from theirs. (Their
# module also routes asyncio's slow-callback warnings to a handler of its own; no benchmark here
# turns debug mode on, so that changes nothing measured.)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stages", "07_streams",
                                "python"))
from looplab import SplitMix64  # noqa: E402  (after the path it is found on)


def status_kb(field):
    """A field of /proc/self/status in kB (VmRSS, VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


class Result:
    """The JSON object a run prints, and whether the run checked out."""

    def __init__(self, workload, impl, n):
        self.fields = {"workload": workload, "impl": impl, "n": n}
        self.problem = None

    def check(self, condition, what):
        if self.problem is None and not condition:
            self.problem = what


# --- spawn: N tasks that each await sleep(0) once, gathered -----------------------------------------

async def spawn(n, r):
    done = 0

    async def yield_once():
        nonlocal done
        await asyncio.sleep(0)
        done += 1

    t0, c0 = time.perf_counter(), time.process_time()
    work = [yield_once() for _ in range(n)]
    await asyncio.gather(*work)
    wall = time.perf_counter() - t0
    r.fields.update(wall_s=wall, cpu_s=time.process_time() - c0, per_s=n / wall)
    r.check(done == n, f"{done} of {n} tasks completed")


# --- timers: N sleepers with seeded deadlines in [0, 100 ms); the figure is CPU time ----------------

async def timers(n, seed, r, impl):
    loop = asyncio.get_running_loop()
    woke = early = 0
    # A timer may run once it is due within the loop's clock resolution: asyncio's is the monotonic
    # clock's (base_events._run_once); uvloop's is libuv's, which counts whole milliseconds.
    resolution = 1e-3 if impl == "uvloop" else time.get_clock_info("monotonic").resolution

    async def sleeper(delay):
        nonlocal woke, early
        before = loop.time()
        await asyncio.sleep(delay)
        woke += 1
        if loop.time() + resolution < before + delay:
            early += 1

    random = SplitMix64(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    work = [sleeper(random.uniform(0.0, 0.1)) for _ in range(n)]
    await asyncio.gather(*work)
    r.fields.update(cpu_s=time.process_time() - c0, wall_s=time.perf_counter() - t0)
    r.check(woke == n, f"{woke} of {n} sleepers woke")
    r.check(early == 0, f"{early} sleepers woke before their deadline")


# --- pingpong: two tasks pass a number back and forth through two Queues M times ------------------

async def pong(inq, outq, m):
    for _ in range(m):
        outq.put_nowait(await inq.get() + 1)


async def pingpong(m, r):
    there, back = asyncio.Queue(), asyncio.Queue()
    t0, c0 = time.perf_counter(), time.process_time()
    other = asyncio.create_task(pong(there, back, m))
    v = 0
    for _ in range(m):
        there.put_nowait(v)
        v = await back.get() + 1   # each side adds one: after M round trips, 2M
    await other
    wall = time.perf_counter() - t0
    r.fields.update(wall_s=wall, cpu_s=time.process_time() - c0, per_s=m / wall)
    r.check(v == 2 * m, f"the token came back as {v}, not {2 * m}")


# --- memory: N tasks pending on one Event; resident memory before and while they wait -------------

async def memory(n, r):
    event = asyncio.Event()
    done = 0

    async def waiter():
        nonlocal done
        await event.wait()
        done += 1

    base_kb = status_kb("VmRSS")
    tasks = [asyncio.create_task(waiter()) for _ in range(n)]
    await asyncio.sleep(0)   # every task's first step runs before this one resumes: all are waiting now
    pending_kb = status_kb("VmRSS")
    all_waiting = done == 0
    event.set()
    await asyncio.gather(*tasks)
    r.fields.update(baseline_kb=base_kb, pending_kb=pending_kb, bytes_per_task=(pending_kb - base_kb) * 1024.0 / n)
    r.check(all_waiting, "a task finished before the Event was set")
    r.check(done == n, f"{done} of {n} waiters woke")


# --- serve: the echo server on streams ------------------------------------------------------------

async def serve(port):
    served = echoed = 0

    async def echo(reader, writer):
        nonlocal served, echoed
        served += 1
        try:
            while True:
                data = await reader.readline()   # as stage 07's streams server does
                if not data:
                    break
                echoed += len(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signo, stop.set)
    server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=1024)
    print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    server.close()
    print(f"stopped: served {served} connections, echoed {echoed} bytes", flush=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the event loop (default asyncio)")
    sub = parser.add_subparsers(dest="workload", required=True)
    for name, text in [("spawn", "N tasks that each await sleep(0) once, gathered; tasks per second"),
                       ("timers", "N sleepers with seeded deadlines in [0, 100 ms); CPU time"),
                       ("pingpong", "two tasks, two Queues, M round trips; round trips per second"),
                       ("memory", "N tasks pending on one Event; resident bytes per task")]:
        p = sub.add_parser(name, help=text)
        p.add_argument("--n", "-n", type=int, required=True, help="how many")
        if name == "timers":
            p.add_argument("--seed", type=int, default=1, help="the SplitMix64 seed of the deadlines (default 1)")
    p = sub.add_parser("serve", help="the echo server on streams, until SIGINT or SIGTERM")
    p.add_argument("--port", type=int, required=True, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args(argv)
    if args.workload != "serve" and args.n < 1:
        parser.error("--n must be at least 1")

    loop_factory = None
    if args.loop == "uvloop":
        import uvloop
        loop_factory = uvloop.new_event_loop

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        if args.workload == "serve":
            runner.run(serve(args.port))
            return 0
        r = Result(args.workload, args.loop, args.n)
        if args.workload == "timers":
            r.fields["seed"] = args.seed
        work = {"spawn": lambda: spawn(args.n, r),
                "timers": lambda: timers(args.n, args.seed, r, args.loop),
                "pingpong": lambda: pingpong(args.n, r),
                "memory": lambda: memory(args.n, r)}[args.workload]
        try:
            runner.run(work())
        except Exception as e:   # a failed run still prints its JSON line, saying what went wrong
            r.check(False, f"the run raised {type(e).__name__}: {e}")
    r.fields["peak_rss_kb"] = status_kb("VmHWM")
    r.fields["ok"] = r.problem is None
    if r.problem is not None:
        r.fields["error"] = r.problem
    print(json.dumps(r.fields), flush=True)
    return 0 if r.problem is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
