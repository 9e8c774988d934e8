"""to_thread.py: the twin of `08-beyond-select to-thread` (demos/to_thread.cpp).

Three tickers and a blocker whose blocking call of 1 s runs on a thread (asyncio.to_thread); then a
file read through a thread, and a failed read whose exception reaches the coroutine. On the virtual
clock the loop waits for the thread for real and the clock does not jump past its result
(looplab.py's VirtualSelector), so both programs print the same times.
"""

import asyncio
import os
import tempfile
import time

import looplab
from looplab import format_time, loop_now, task_line


async def ticker(name, steps, delay):
    loop = asyncio.get_running_loop()
    start = loop.time()
    for step in range(1, steps + 1):
        due = start + delay * step
        await asyncio.sleep(due - loop.time())
        late = loop.time() - due
        suffix = f"  <- {format_time(late)} late" if late > 0.05 else ""
        task_line(name, f"tick {step} due {format_time(due)}, ran at {loop_now()}{suffix}")


def blocking_call():
    time.sleep(1)  # the blocking call, on a worker thread
    return 42


async def blocker(after):
    await asyncio.sleep(after)
    task_line("blocker", f"at {loop_now()} hands a blocking call of 1 s to a thread")
    answer = await asyncio.to_thread(blocking_call)
    task_line("blocker", f"at {loop_now()} has the thread's answer: {answer}")


async def scene():
    tasks = [asyncio.create_task(ticker(f"ticker {i}", 8, 0.2), name=f"ticker {i}") for i in range(1, 4)]
    tasks.append(asyncio.create_task(blocker(0.5), name="blocker"))
    for t in tasks:
        await t


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        raise RuntimeError(f"cannot open {path} for reading") from None


async def read_through_a_thread(path):
    text = await asyncio.to_thread(read_file, path)
    lines = text.count(b"\n")
    task_line("reader", f"{loop_now()} read {len(text)} bytes, {lines} lines, through a thread")
    try:
        await asyncio.to_thread(read_file, "/nonexistent/looplab.txt")
    except RuntimeError as e:
        task_line("reader", f"{loop_now()} the thread's exception reached the coroutine: {e}")


def main():
    looplab.parse_args()
    clock = looplab.VirtualClock()
    with looplab.demo("to-thread", "stage 03's blocking call moved to a thread: the tickers keep ticking; "
                      "a file read through a thread"):
        looplab.run(scene(), clock)
        fd, path = tempfile.mkstemp(prefix="looplab-to-thread-")
        with os.fdopen(fd, "w") as f:
            f.write("".join(f"line {i}\n" for i in range(1, 1001)))
        try:
            looplab.run(read_through_a_thread(path), clock)
        finally:
            os.unlink(path)


if __name__ == "__main__":
    main()
