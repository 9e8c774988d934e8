"""await_vs_task.py: the twin of `05-futures-tasks await-vs-task` (demos/await_vs_task.cpp).

Awaiting a coroutine is a function call: the caller jumps into it and back, and the loop does not
get control in between, so a callback queued before is still waiting afterwards. Creating a task is
a scheduling decision: the task's first step is a call_soon callback that runs in a later iteration,
behind what was already queued, and only once the creator yields.

The lines say which loop iteration they run in. asyncio does not count its iterations;
VirtualClockLoop (looplab.py) counts them as the C++ EventLoop::iterations() does.

C++ -> asyncio: co_await child() -> await child(); create_task(child(), "task") ->
asyncio.create_task(child(), name="task"); sleep(0) -> asyncio.sleep(0) (a bare yield in both);
get_running_loop().call_soon(f, name) -> asyncio.get_running_loop().call_soon(f).
"""

import asyncio

from looplab import VirtualClock, demo, format_time, line, loop_now, parse_args, run, task_line


def iteration():
    return f"iteration {asyncio.get_running_loop().iterations}"


async def child(name):
    task_line(name, f"{loop_now()} {iteration()}: child runs")


async def nap(name, d):
    task_line(name, f"{loop_now()} sleeps {d:.1f} s")
    await asyncio.sleep(d)
    task_line(name, f"{loop_now()} woke")


def queue_a_callback():
    asyncio.get_running_loop().call_soon(
        lambda: task_line("callback", f"{loop_now()} {iteration()}: a callback queued earlier runs"))


async def main_inline():
    queue_a_callback()
    task_line("main", f"{loop_now()} {iteration()}: co_await child()")
    await child("child")  # runs child's body right here, in this step of main's task
    task_line("main", f"{loop_now()} {iteration()}: back from the child; the callback has not run yet")
    await asyncio.sleep(0)  # gives the loop back for one iteration: the callback runs
    task_line("main", f"{loop_now()} {iteration()}: after sleep(0), the loop went round once")


async def main_task():
    queue_a_callback()
    task_line("main", f"{loop_now()} {iteration()}: create_task(child())")
    t = asyncio.create_task(child("task"), name="task")
    task_line("main", f"{loop_now()} {iteration()}: the task exists; its body has not run")
    await t
    task_line("main", f"{loop_now()} {iteration()}: the task is done")


async def two_naps_awaited():
    await nap("nap 1", 1.0)
    await nap("nap 2", 1.0)


async def two_naps_tasks():
    a = asyncio.create_task(nap("nap 1", 1.0), name="nap 1")
    b = asyncio.create_task(nap("nap 2", 1.0), name="nap 2")
    await a
    await b


def main():
    parse_args()
    clock = VirtualClock()
    with demo("await-vs-task", "awaiting a coroutine does not cede control; creating a task does"):
        run(main_inline(), clock)
        run(main_task(), clock)
        t0 = clock.now
        run(two_naps_awaited(), clock)
        line(f"awaited one after the other: {format_time(clock.now - t0)}")
        t1 = clock.now
        run(two_naps_tasks(), clock)
        line(f"as two tasks: {format_time(clock.now - t1)}")


if __name__ == "__main__":
    main()
