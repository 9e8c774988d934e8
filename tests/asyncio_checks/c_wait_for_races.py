"""(c) wait_for: 3.11 runs the operation as a Task of its own and waits on a "waiter" future that
either the operation's done-callback or a timer completes; 3.12 rebuilt it on asyncio.timeout(), so
a coroutine runs inline in the caller's task and a timeout is a cancel() of the caller.
Each scenario runs on the twins' virtual-clock loop (stages/05_futures_tasks/python/looplab.py,
FIFO ties among equal deadlines), so times and iteration counts are exact.
Run: python3 c_wait_for_races.py"""
import asyncio
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "stages", "05_futures_tasks", "python"))
import looplab  # noqa: E402

clock = looplab.VirtualClock()


def scenario(title, main):
    async def wrapped():
        loop = asyncio.get_running_loop()
        t0, i0 = loop.time(), loop.iterations
        try:
            outcome = f"returned {await main()!r}"
        except asyncio.CancelledError:
            outcome = "CancelledError"
        except TimeoutError:
            outcome = "TimeoutError"
        print(f"{title}: {outcome} (after {loop.time() - t0:.3f}s, {loop.iterations - i0} iterations)")

    looplab.run(wrapped(), clock)


async def op(delay, value="op"):
    await asyncio.sleep(delay)
    return value


async def stubborn(delay):
    try:
        await asyncio.sleep(delay)
    except asyncio.CancelledError:
        return "suppressed"
    return "finished"


async def s1():
    # The operation's sleep ends exactly at the timeout's deadline.
    return await asyncio.wait_for(op(1), 1)


async def s2():
    # The operation finishes (its future gets a result) and, in the same step, the caller is cancelled.
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    caller = asyncio.create_task(asyncio.wait_for(f, 10))
    await asyncio.sleep(0)
    f.set_result("result")
    caller.cancel()
    try:
        return await caller
    finally:
        print(f"  s2: caller.cancelled()={caller.cancelled()} cancelling()={caller.cancelling()}")


async def s3():
    # Which task runs the operation?
    async def who():
        return "the caller's task" if asyncio.current_task() is me else "a task of its own"
    me = asyncio.current_task()
    return await asyncio.wait_for(who(), 1)


async def s4():
    # Timeout; the operation catches the cancellation and returns a value.
    return await asyncio.wait_for(stubborn(5), 1)


async def s5():
    # The caller is cancelled by a timer that falls due together with (and before) the timeout.
    loop = asyncio.get_running_loop()
    caller = asyncio.current_task()
    loop.call_later(1, caller.cancel)
    return await asyncio.wait_for(op(5), 1)


async def s6():
    # The same, the other way round: the timeout's timer comes first, then the caller's cancel().
    loop = asyncio.get_running_loop()
    caller = asyncio.current_task()

    async def inner():
        loop.call_later(1, caller.cancel)   # scheduled after wait_for's timer
        return await op(5)
    return await asyncio.wait_for(inner(), 1)


async def s8():
    # The operation's future gets its result from a timer due together with (and before) the timeout.
    loop = asyncio.get_running_loop()
    f = loop.create_future()
    loop.call_later(1, f.set_result, "result")
    return await asyncio.wait_for(f, 1)


async def s7():
    # A quick operation: how many iterations until the caller has its result?
    return await asyncio.wait_for(op(0), 1)


print(sys.version.split()[0])
for title, main in [("s1 op ends at the deadline", s1), ("s2 op done + caller cancelled, same step", s2),
                    ("s3 which task runs the op", s3), ("s4 timeout, op suppresses the cancel", s4),
                    ("s5 caller cancelled, then timeout, same time", s5),
                    ("s6 timeout, then caller cancelled, same time", s6), ("s7 op sleep(0)", s7),
                    ("s8 op's result and timeout, same time, result first", s8)]:
    scenario(title, main)
