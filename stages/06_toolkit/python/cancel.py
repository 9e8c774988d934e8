"""cancel.py: the twin of `06-toolkit cancel` (demos/cancel.cpp).

Cancellation is a request, delivered at an await. cancel() on a waiting task cancels the future it
waits for; the task wakes in a later iteration and CancelledError is raised at its await. The task
may catch it, clean up (even await), and let it go on; it ends cancelled only if the exception
escapes. wait_for() cancels what it waits for when time runs out and raises TimeoutError.

C++ -> asyncio: Task::cancel(msg) -> Task.cancel(msg); cancelling() -> cancelling() (3.11+);
catch (const CancelledError& e) { e.message() } -> except asyncio.CancelledError as e: str(e);
throw CancelledError("cleaned up") -> raise asyncio.CancelledError("cleaned up");
wait_for(coro, 2.0) -> asyncio.wait_for(coro, 2.0); TimeoutError -> TimeoutError (the built-in one:
asyncio.TimeoutError is an alias of it since 3.11).

One difference shows in the code, not in the output: C++ cannot co_await inside a catch block, so
tidy() remembers the cancellation and awaits after the block; Python can await inside `except`.
We keep the C++ shape so the two read alike.
"""

import asyncio

from looplab import VirtualClock, demo, format_time, loop_now, parse_args, run, task_line


def yes_no(flag):
    return "true" if flag else "false"


async def dreamer():
    task_line("dreamer", f"{loop_now()} going to sleep for 10 s")
    await asyncio.sleep(10)
    task_line("dreamer", f"{loop_now()} woke (never printed)")


async def tidy():
    task_line("tidy", f"{loop_now()} working for 10 s")
    cancelled = False
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError as e:
        task_line("tidy", f'{loop_now()} caught CancelledError ("{e}"): cleaning up')
        cancelled = True
    if cancelled:
        await asyncio.sleep(0.5)  # cleanup may await
        task_line("tidy", f"{loop_now()} clean; letting the cancellation go on")
        raise asyncio.CancelledError("cleaned up")


async def slow_answer():
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        task_line("slow answer", f"{loop_now()} cancelled by wait_for")
        raise
    return 42


async def main_cancel():
    d = asyncio.create_task(dreamer(), name="dreamer")
    await asyncio.sleep(1)
    accepted = d.cancel()
    task_line("main", f"{loop_now()} cancel(dreamer) -> {yes_no(accepted)}; cancelling() = {d.cancelling()}")
    try:
        await d
    except asyncio.CancelledError:
        # Caught here, this CancelledError is the dreamer's, not a request to cancel main; a real
        # program would check asyncio.current_task().cancelling() before deciding so.
        task_line("main", f"{loop_now()} awaiting dreamer raised CancelledError; cancelled() = {yes_no(d.cancelled())}")

    t = asyncio.create_task(tidy(), name="tidy")
    await asyncio.sleep(1)
    t.cancel("shutting down")
    task_line("main", f"{loop_now()} asked tidy to cancel; it is not done yet: done() = {yes_no(t.done())}")
    try:
        await t
    except asyncio.CancelledError as e:
        task_line("main", f'{loop_now()} tidy ended cancelled ("{e}")')
    task_line("main", f"{loop_now()} cancel() on a finished task -> {yes_no(t.cancel())}")

    loop = asyncio.get_running_loop()
    task_line("main", f"{loop_now()} wait_for(slow_answer(), 2 s)")
    started = loop.time()
    try:
        v = await asyncio.wait_for(slow_answer(), 2.0)
        task_line("main", f"got {v}")
    except TimeoutError:
        task_line("main", f"{loop_now()} TimeoutError after {format_time(loop.time() - started)}")


def main():
    parse_args()
    clock = VirtualClock()
    with demo("cancel", "cancel a waiting task, catch and clean up, wait_for timing out"):
        run(main_cancel(), clock)


if __name__ == "__main__":
    main()
