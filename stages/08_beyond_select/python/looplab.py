"""looplab.py: what the Python twins of stage 08 share.

Every deterministic demo of stage 08 has a twin here: a Python asyncio program that does the same
thing, so that a student can run both and hold the C++ next to the asyncio it imitates. For the two
to print the same lines, the twins need three things the C++ side gets from common/:

  1. A **virtual clock**. The C++ demos run on a clock whose hand moves only when the loop would
     wait: it jumps to the next deadline instead of sleeping, so an hour-long chess exhibition runs
     in milliseconds and prints the same thing every time. `VirtualClockLoop` is an ordinary asyncio
     event loop (asyncio's own selector loop, unchanged in how it schedules) with two parts swapped:
     its `time()` reads a `VirtualClock`, and its selector never blocks - when asyncio asks it to
     wait `timeout` seconds for file descriptors and none is ready, it moves the clock forward by
     `timeout` and returns at once. CPython's own asyncio tests use the same trick (the TestLoop in
     Lib/test/test_asyncio/utils.py); this is our version of it.
  2. **SplitMix64**, the seeded generator behind the random delays, bit for bit as
     common/include/looplab/random.hpp documents it, so chain and queue draw the same delays.
  3. The demos' **voice**: "task time text" lines, times formatted as "1.500s", and
     `run()`, the twin of the C++ run(): one fresh loop per call, on a clock shared across calls
     (the C++ demos keep one clock for all the runs of a demo, so the second half of `count` starts
     at 3.000s, not at 0).

What it leaves out: the lecture. The C++ demos explain themselves as they run; the twins print only
what `08-beyond-select DEMO --clock virtual --quiet --color never` prints (the event
lines), because the point of a twin is that those lines come out the same.

What it costs: nothing at run time worth measuring. What it costs in honesty is listed where it
happens: three places below reach into asyncio's private names (`_run_once`, `_scheduled` with
the checks call_at makes, and `_ssock`), each to observe or order something asyncio does not
expose, never to change what a callback does. README.md lists what the twins reveal about asyncio versus the C++ loop.
"""

import asyncio
import contextlib
import heapq
import itertools
import logging
import re
import selectors
import sys

# ---------------------------------------------------------------------------------------------------
# 1. The virtual clock and the loop that uses it
# ---------------------------------------------------------------------------------------------------


class VirtualClock:
    """Seconds since the clock was made; the hand moves only when someone waits or works.

    The C++ VirtualClock counts integer nanoseconds. asyncio's time() is a float, so this one is
    too; the transcripts print milliseconds, and the few ulps a float sum may drift by never reach
    them.
    """

    def __init__(self):
        self.now = 0.0

    def advance(self, seconds):
        """Moves the hand forward: what "waiting" means on this clock."""
        if seconds > 0:
            self.now += seconds

    def busy_for(self, seconds):
        """Stands for CPU work or a blocking call that takes `seconds` (C++: Clock::busy_for).

        A plain function, not a coroutine: the caller keeps the thread for the whole time, which
        is the point of the selfish demo. On a virtual clock nothing else can happen meanwhile.
        """
        self.advance(seconds)


class WaitForeverError(RuntimeError):
    """The loop has nothing ready, no timer and no fd to watch: it could never wake up again."""


class VirtualSelector(selectors.SelectSelector):
    """A select() selector that jumps the clock instead of sleeping.

    asyncio's loop calls `select(timeout)` once per iteration (base_events.py, _run_once): timeout
    0 when callbacks are ready, the time to the earliest timer when there is one, None when only a
    file descriptor can wake it up. We poll the real fds first (the recv-chain and echo twins use
    real loopback sockets); when none is ready we move the clock by `timeout` and return, as the
    C++ loop's wait_for_events() does.
    """

    def __init__(self, clock):
        super().__init__()
        self.clock = clock
        # The loop's own "self-pipe": asyncio watches one end of a socketpair so that another
        # thread can wake it (call_soon_threadsafe); VirtualClockLoop tells us which fd it is.
        self.wakeup_fd = None
        # Stage 08: executor jobs whose results the loop still expects (VirtualClockLoop counts
        # them). While one is pending the clock does not jump: a thread works in real time, so we
        # wait for it, for real, as the C++ loop's wait_for_events() does.
        self.threads_pending = 0

    def watched(self):
        """How many fds, other than the loop's self-pipe, are being watched."""
        return sum(1 for key in self.get_map().values() if key.fd != self.wakeup_fd)

    def select(self, timeout=None):
        ready = super().select(0)  # poll: whatever is ready already, without waiting
        if ready or timeout == 0:
            return ready
        if self.threads_pending:
            return super().select(None)  # the worker's call_soon_threadsafe writes the self-pipe
        if timeout is not None:
            self.clock.advance(timeout)  # the jump: "wait until the next deadline" takes no time
            return []
        # No callback ready, no timer. Only an fd can wake us. If none is watched, asyncio would
        # block forever in select() (another thread might still call call_soon_threadsafe). The
        # C++ loop has no threads, so it throws; a twin that hangs would teach nothing, so we
        # throw too.
        if self.watched() == 0:
            raise WaitForeverError(
                "the event loop would wait forever: no callback is ready, no timer is scheduled and "
                "no file descriptor is watched (a task awaits something nobody will complete)")
        return super().select(None)  # a real socket will wake us: wait for it for real


class FifoTimerHandle(asyncio.TimerHandle):
    """A TimerHandle that breaks ties between equal deadlines in the order they were scheduled.

    asyncio keeps timers in a heap ordered by deadline alone (TimerHandle.__lt__ compares `_when`),
    and a heap does not keep equal keys in insertion order: five timers due at 1.0 pop as 1, 3, 5,
    2, 4. On a real clock two sleeps almost never share a deadline, because time() moves between
    the calls. On a virtual clock they always do (all five counters of `count` start at 0.000s).
    The C++ loop orders its heap by (deadline, scheduling order), so ties run first come, first
    served; this handle does the same, so both sides see the same order. Run a twin with
    --asyncio-ties to see asyncio's own order.
    """

    __slots__ = ("_seq",)

    def __init__(self, when, callback, args, loop, context, seq):
        super().__init__(when, callback, args, loop, context)
        self._seq = seq

    def _key(self):
        return (self._when, self._seq)

    def __lt__(self, other):
        if isinstance(other, FifoTimerHandle):
            return self._key() < other._key()
        return super().__lt__(other)

    def __le__(self, other):
        if isinstance(other, FifoTimerHandle):
            return self._key() <= other._key()
        return super().__le__(other)

    def __gt__(self, other):
        if isinstance(other, FifoTimerHandle):
            return self._key() > other._key()
        return super().__gt__(other)

    def __ge__(self, other):
        if isinstance(other, FifoTimerHandle):
            return self._key() >= other._key()
        return super().__ge__(other)


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """asyncio's selector event loop on a VirtualClock.

    Everything that decides *what runs when* is asyncio's own code: the ready queue, the timer heap,
    the five phases of _run_once, Futures, Tasks, gather, Queue, Lock, wait_for. We replace only the
    source of time and the waiting, and add two observations the C++ loop offers: `iterations` (how
    many iterations have completed) and FIFO order among equal deadlines (see FifoTimerHandle).
    """

    def __init__(self, clock, fifo_ties=True):
        self.clock = clock
        self.iterations = 0
        self._fifo_ties = fifo_ties
        self._timer_seq = itertools.count()
        super().__init__(VirtualSelector(clock))
        # Private: the loop's self-pipe socket (see VirtualSelector.wakeup_fd).
        self._selector.wakeup_fd = self._ssock.fileno()

    def run_in_executor(self, executor, func, *args):
        """asyncio's, counted: while its result is pending, the selector does not jump the clock."""
        future = super().run_in_executor(executor, func, *args)
        self._selector.threads_pending += 1

        def delivered(_):
            self._selector.threads_pending -= 1

        future.add_done_callback(delivered)
        return future

    async def shutdown_default_executor(self, *args, **kwargs):
        """asyncio.run()'s last step waits for the executor's threads on a thread of its own: counted too."""
        self._selector.threads_pending += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._selector.threads_pending -= 1

    def time(self):
        # asyncio reads the time only through this method: timers' deadlines, the select timeout,
        # "which timers are due", and debug mode's slow-callback stopwatch all follow the clock.
        return self.clock.now

    def _run_once(self):
        # Private, and stable from 3.4 to 3.13: one iteration of the loop. We only count them, as
        # the C++ EventLoop::iterations() does (incremented when an iteration has finished).
        super()._run_once()
        self.iterations += 1

    def call_at(self, when, callback, *args, context=None):
        # Our version of BaseEventLoop.call_at: the same checks, a FifoTimerHandle instead of a
        # TimerHandle, pushed onto the same private heap `_scheduled` that _run_once reads.
        if not self._fifo_ties:
            return super().call_at(when, callback, *args, context=context)
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = FifoTimerHandle(when, callback, args, self, context, next(self._timer_seq))
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer


class TracedFuture(asyncio.Future):
    """A Future that knows who made it and says when it gets its result (for TracingLoop).

    asyncio's futures have no names; the C++ ones do ("sock_recv"). We name a future after the
    function that asked the loop for it: loop.create_future() is what asyncio's own sock_recv(),
    sleep() and streams call, so the name is "sock_recv", "sleep", ...
    """

    def __init__(self, *, loop, name):
        super().__init__(loop=loop)
        self.name = name

    def set_result(self, result):
        who = _caller_name(1)
        size = f"{len(result)} bytes" if isinstance(result, (bytes, bytearray)) else repr(result)
        self.get_loop().note("callback", f"{who} callback: set_result({size})")
        super().set_result(result)


def _caller_name(depth):
    # The name of the function `depth` frames above our caller, without asyncio's leading "_"
    # (the reader callback of sock_recv is the method _sock_recv).
    return sys._getframe(depth + 1).f_code.co_name.lstrip("_")


class TracingLoop(VirtualClockLoop):
    """A VirtualClockLoop that records the steps the recv-chain demo prints: loop, callback, Future,
    Task, coroutine. Each is observed at the place asyncio takes it, without changing what runs:

      - the **loop** queues callbacks in _run_once: the I/O ones right after select() (phase 3, in
        _process_events, which we wrap), then the due timers (phase 4; we look at the timer heap
        in the same wrapper, just before asyncio moves them to the ready queue);
      - a **Future** "wakes" its task by scheduling the task's wake-up with call_soon, and a task's
        steps are call_soon callbacks too: we wrap call_soon, note a Future's call_soon of a task,
        and wrap each task callback to note when a step starts and how it ends (suspended on
        which Future, or done). A task's callbacks are bound methods of the Task, in the C and in
        the Python implementation alike (asyncio's debug mode finds the task the same way);
      - the **callbacks** and the **coroutine** are the demo's own code and a TracedFuture: they
        note what they do themselves.

    Private names used to look, not to change: _process_events, _scheduled, _clock_resolution,
    and a task's _fut_waiter (the Future its last step awaited).
    """

    def __init__(self, clock, fifo_ties=True):
        super().__init__(clock, fifo_ties)
        self.steps = []  # (time, layer, text), in the order they happened

    def note(self, layer, text):
        self.steps.append((self.time(), layer, text))

    @staticmethod
    def callback_name(callback):
        return _caller_name_of(callback) + " callback"

    def create_future(self):
        return TracedFuture(loop=self, name=_caller_name(1))

    def _process_events(self, event_list):
        for key, mask in event_list:
            if key.fd == self._selector.wakeup_fd:
                continue
            reader, writer = key.data
            if mask & selectors.EVENT_READ and reader is not None and not reader.cancelled():
                self.note("loop", f"select(): the socket is readable; queue {self.callback_name(reader._callback)}")
            if mask & selectors.EVENT_WRITE and writer is not None and not writer.cancelled():
                self.note("loop", f"select(): the socket is writable; queue {self.callback_name(writer._callback)}")
        end = self.time() + self._clock_resolution
        for timer in sorted(t for t in self._scheduled if not t.cancelled() and t.when() < end):
            self.note("loop", f"the timer is due; queue {self.callback_name(timer._callback)}")
        super()._process_events(event_list)

    def call_soon(self, callback, *args, context=None):
        task = getattr(callback, "__self__", None)
        if isinstance(task, asyncio.Task):
            if args and isinstance(args[0], TracedFuture):
                self.note("Future", f"Future {args[0].name} is done: call_soon(<Task {task.get_name()}>)")
            callback = self._traced_step(task, callback)
        return super().call_soon(callback, *args, context=context)

    def _traced_step(self, task, step):
        def traced(*args):
            self.note("Task", f"step() resumes {task.get_name()}")
            step(*args)
            if task.done():
                self.note("Task", f"{task.get_name()} is done")
            elif isinstance(task._fut_waiter, TracedFuture):
                self.note("Task", f"{task.get_name()} suspends, waiting for the Future {task._fut_waiter.name}")
        return traced


def _caller_name_of(callback):
    # A callback's name: its function's, without the leading "_" (asyncio's _sock_recv).
    return getattr(callback, "__name__", type(callback).__name__).lstrip("_")


# ---------------------------------------------------------------------------------------------------
# 2. SplitMix64, exactly as common/include/looplab/random.hpp
# ---------------------------------------------------------------------------------------------------

MASK64 = 0xFFFFFFFFFFFFFFFF


class SplitMix64:
    """The seeded generator of the random delays. Python integers never overflow, so every sum and
    product is masked back to 64 bits, which is what C++'s uint64_t does by itself."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        """The next 64 random bits."""
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self, lo=0.0, hi=1.0):
        """A float in [lo, hi): the top 53 bits of next(), scaled (exact in IEEE-754 doubles)."""
        return lo + (hi - lo) * ((self.next() >> 11) * 2.0**-53)

    def below(self, n):
        """An integer in [0, n), as the C++ demos use it for whole-second delays."""
        if n <= 0:
            raise ValueError("SplitMix64.below: n must be > 0")
        return self.next() % n


# ---------------------------------------------------------------------------------------------------
# 3. The demos' voice and run()
# ---------------------------------------------------------------------------------------------------


def format_time(seconds):
    """"1.250s": milliseconds, always three decimals, as common/'s format_time prints them.

    C++ rounds integer nanoseconds to milliseconds, half to even; Python's round() also rounds half
    to even, and the float's tiny error (0.65 is 0.65000000000000002) cannot cross a millisecond.
    """
    ms = round(seconds * 1000)
    sign = "-" if ms < 0 else ""
    return f"{sign}{abs(ms) // 1000}.{abs(ms) % 1000:03d}s"


@contextlib.contextmanager
def demo(name, summary):
    """Marks a demo's transcript. It prints nothing: under --quiet the C++ StageApp prints no banner
    around a single demo, only its results. `name` and `summary` say which C++ demo this twin is."""
    del name, summary
    yield


def task_line(task, text):
    """One event line: who, then what ("count 1 0.000s One")."""
    print(f"{task} {text}")


def line(text):
    """A result line that belongs to no task ("gathered: 3.000s ...")."""
    print(text)


def loop_now():
    """The running loop's time, formatted (C++: loop_now() in demos.hpp)."""
    return format_time(asyncio.get_running_loop().time())


def _report(loop, context):
    # The C++ demos install an exception handler that speaks the loop's reports as demo lines
    # ("loop reports: ..."); this is the same handler for asyncio's exception-handler path.
    line(f"loop reports: {context['message']}")


class _SlowCallbackReport(logging.Handler):
    """Speaks asyncio's slow-callback warning as the C++ demo's line.

    In debug mode asyncio times each callback with loop.time() and, at 0.1 s or more, *logs*
    "Executing %s took %.3f seconds" on the "asyncio" logger (the C++ loop sends the same report
    through its exception handler instead). The %s is the repr of the task whose step it was:
    "<Task finished name='worker' coro=<worker() done, defined at /path/selfish.py:32> ...>", with
    file paths and line numbers no C++ program could print. We keep what both loops know, the
    task's name and the measured time, and print "Executing <Task worker> took 0.600 seconds".
    """

    def emit(self, record):
        if record.msg.startswith("Executing") and len(record.args) == 2:
            what, took = record.args
            name = re.search(r"name='([^']*)'", what)
            if name:
                what = f"<Task {name.group(1)}>"
            line(f"loop reports: Executing {what} took {took:.3f} seconds")
        else:
            line(f"loop reports: {record.getMessage()}")


def _speak_asyncio_reports():
    # Done when the first loop is made, not at import: bench/python/peers.py imports SplitMix64
    # from this module and must keep asyncio's logging as it is.
    logger = logging.getLogger("asyncio")
    if not any(isinstance(h, _SlowCallbackReport) for h in logger.handlers):
        logger.addHandler(_SlowCallbackReport())
        logger.propagate = False
        logger.setLevel(logging.WARNING)

#: Set by parse_args(): False for --asyncio-ties (asyncio's own order among equal deadlines).
FIFO_TIES = True


def new_loop(clock, loop_class=None):
    """A VirtualClockLoop (or a `loop_class`, such as TracingLoop) on `clock`, reporting as the
    demos do."""
    _speak_asyncio_reports()
    loop = (loop_class or VirtualClockLoop)(clock, fifo_ties=FIFO_TIES)
    loop.set_exception_handler(_report)
    return loop


def run(main, clock, debug=False):
    """asyncio.run(main) on a fresh VirtualClockLoop over `clock` (C++: run(main, clock, options)).

    asyncio.Runner (3.11+) is asyncio.run with a loop_factory: it makes the loop, runs main as a
    task until done, cancels what is left, shuts down async generators and closes the loop.
    """
    with asyncio.Runner(debug=debug, loop_factory=lambda: new_loop(clock)) as runner:
        return runner.run(main)


def parse_args(argv=None, seed=False, numbers=()):
    """The twins' command line: --asyncio-ties; --seed N (chain, queue); and the integer options
    `numbers` names, as (flag, default, help) (echo's --clients, --messages, --size)."""
    import argparse

    global FIFO_TIES
    parser = argparse.ArgumentParser(description="A Python twin of a stage 08 demo (virtual clock).")
    if seed:
        parser.add_argument("--seed", type=int, default=2024, help="SplitMix64 seed (default 2024)")
    for flag, default, text in numbers:
        parser.add_argument(flag, type=int, default=default, help=f"{text} (default {default})")
    parser.add_argument("--asyncio-ties", action="store_true",
                        help="run timers with equal deadlines in asyncio's heap order, not FIFO")
    args = parser.parse_args(argv)
    FIFO_TIES = not args.asyncio_ties
    return args


def _self_test():
    """`python3 looplab.py`: checks what the twins take for granted (CTest runs it)."""
    # SplitMix64 gives the reference outputs of tests/common_random.cpp.
    r = SplitMix64(0)
    got = [r.next() for _ in range(3)]
    assert got == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F], [hex(x) for x in got]
    assert SplitMix64(42).next() == 13679457532755275413
    r = SplitMix64(42)
    assert r.uniform() == 0.7415648787718233 and r.uniform() == 0.1599103928769201
    assert format_time(0.65) == "0.650s" and format_time(3655) == "3655.000s"

    # The clock jumps: an hour of sleeping takes no real time, and the loop's time says an hour.
    clock = VirtualClock()
    run(asyncio.sleep(3600), clock)
    assert clock.now == 3600, clock.now

    # Equal deadlines run first come, first served (and in asyncio's heap order without FIFO ties).
    def order(fifo):
        loop = VirtualClockLoop(VirtualClock(), fifo_ties=fifo)
        seen = []
        for i in range(5):
            loop.call_later(1.0, seen.append, i)
        loop.call_later(2.0, loop.stop)
        loop.run_forever()
        loop.close()
        return seen
    assert order(True) == [0, 1, 2, 3, 4], order(True)
    assert order(False) != [0, 1, 2, 3, 4]  # asyncio's heap: 0, 2, 4, 1, 3 in CPython 3.11-3.13

    # A loop with nothing to wait for fails instead of hanging.
    async def wait_for_nobody():
        await asyncio.get_running_loop().create_future()
    try:
        run(wait_for_nobody(), VirtualClock())
    except WaitForeverError:
        pass
    else:
        raise AssertionError("the loop should have refused to wait forever")
    print(f"looplab.py: SplitMix64, the virtual clock, FIFO ties and the wait-forever check hold "
          f"(Python {sys.version.split()[0]})")


if __name__ == "__main__":
    _self_test()
