"""selfish.py: the twin of `05-futures-tasks selfish` (demos/selfish.cpp).

A task that never awaits starves the others: nothing can interrupt a step, because the loop is one
thread and control comes back only at an await. A ticker wants to tick every 0.1 s; a worker does
0.6 s of work in one step, and the ticker's first sleep(0.1) takes 0.65 s. Debug mode times every
callback and task step and reports those of 0.1 s or more (slow_callback_duration). Then the fix:
sleep(0) between chunks of work, a bare yield that lets the ticker in.

The work is clock.busy_for(0.05), twelve times: on the virtual clock (looplab.py) it moves the hand
forward without spending real time. asyncio's debug mode measures a step with loop.time(), which
reads the same clock, so it sees the step take 0.6 s and reports it, as it would for real work.

C++ -> asyncio: run(scene, clock, {.debug = true}) -> asyncio.Runner(debug=True) (looplab.run);
the report, sent by the C++ loop to its exception handler, is a logging.warning on the "asyncio"
logger in Python (looplab.py prints it as the demo line).
"""

import asyncio

from looplab import VirtualClock, demo, format_time, loop_now, parse_args, run, task_line


async def ticker():
    loop = asyncio.get_running_loop()
    for i in range(1, 7):
        before = loop.time()
        await asyncio.sleep(0.1)
        took = loop.time() - before
        task_line("ticker", f"{loop_now()} tick {i}: sleep(0.1) took {format_time(took)}")


async def worker(clock, polite):
    await asyncio.sleep(0.05)
    how = ", with sleep(0) between chunks" if polite else " in one go"
    task_line("worker", f"{loop_now()} starts 0.6 s of work{how}")
    for _ in range(12):
        clock.busy_for(0.05)  # CPU work: the thread is busy, the loop cannot run anything else
        if polite:
            await asyncio.sleep(0)
    task_line("worker", f"{loop_now()} done")


async def scene(clock, polite):
    t = asyncio.create_task(ticker(), name="ticker")
    w = asyncio.create_task(worker(clock, polite), name="worker")
    await t
    await w


def main():
    parse_args()
    clock = VirtualClock()
    with demo("selfish", "a task that never awaits starves the others; debug mode; sleep(0) fixes it"):
        run(scene(clock, False), clock, debug=True)
        run(scene(clock, True), clock, debug=True)


if __name__ == "__main__":
    main()
