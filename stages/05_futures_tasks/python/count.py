"""count.py: the twin of `05-futures-tasks count` (demos/count.cpp).

Five counters each say One, sleep 1 s, say Two, sleep 2 s, say Three. As five tasks, they sleep at the
same time and the whole thing takes 3 s; awaited one after the other, 15 s. On the virtual clock
(looplab.py) both finish at once, and the times printed are the loop's.

C++ -> asyncio: Coroutine<void> -> `async def`; sleep(d) -> asyncio.sleep(d); create_task(c, name)
-> asyncio.create_task(c, name=name); for (auto& t : tasks) co_await t -> for t in tasks: await t;
run(main, clock) -> looplab.run(main, clock) (asyncio.Runner on a VirtualClockLoop).
"""

import asyncio

from looplab import VirtualClock, demo, format_time, line, loop_now, parse_args, run, task_line


async def count(name):
    task_line(name, f"{loop_now()} One")
    await asyncio.sleep(1)
    task_line(name, f"{loop_now()} Two")
    await asyncio.sleep(2)
    task_line(name, f"{loop_now()} Three")


async def all_at_once():
    # create_task schedules each counter's first step with call_soon: none has run yet when the
    # loop gets control back at the first await below, and then they run in the order they were made.
    counters = [asyncio.create_task(count(f"count {i}"), name=f"count {i}") for i in range(1, 6)]
    for counter in counters:
        await counter


async def one_by_one():
    # Awaiting a coroutine runs it inline: the next counter starts only when this one returns.
    for i in range(1, 6):
        await count(f"count {i}")


def main():
    parse_args()
    clock = VirtualClock()
    with demo("count", "five counters as tasks, each sleeping 1 s then 2 s: 3 s, not 15 s"):
        t0 = clock.now
        run(all_at_once(), clock)
        line(f"as tasks: {format_time(clock.now - t0)} for 5 x 3 s of sleeping")
        t1 = clock.now
        run(one_by_one(), clock)
        line(f"one by one: {format_time(clock.now - t1)}")


if __name__ == "__main__":
    main()
