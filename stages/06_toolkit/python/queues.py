"""queues.py: the twin of `06-toolkit queue` (demos/queue.cpp).

Two producers and three consumers around one asyncio.Queue, with seeded random delays. main waits
for the producers, then join()s the queue (returns when every item got its task_done()), then
cancels the consumers, which would otherwise wait in get() forever, and gathers them with
return_exceptions=True so their CancelledError does not end main.

The random draws (SplitMix64, looplab.py) happen in the same order as in C++, because the same
tasks run in the same order: that is the claim this twin checks.

(The file is queues.py, not queue.py: a queue.py here would shadow the standard library's `queue`
module, which concurrent.futures imports, for every script run from this folder.)

C++ -> asyncio: Queue<Item> -> asyncio.Queue(); co_await q->put(item) -> await q.put(item);
q->qsize() -> q.qsize(); q->task_done() -> q.task_done(); co_await q.join() -> await q.join();
c.cancel() -> c.cancel(); gather(return_exceptions, consumers) -> gather(*consumers,
return_exceptions=True); catch (const CancelledError&) { ...; throw; } -> except
asyncio.CancelledError: ...; raise.
"""

import asyncio

from looplab import SplitMix64, VirtualClock, demo, format_time, line, loop_now, parse_args, run, task_line


async def rand_sleep(who, rng):
    delay = rng.below(4)
    task_line(who, f"{loop_now()} sleeping for {delay} s")
    await asyncio.sleep(delay)


async def produce(n, q, rng):
    name = f"producer {n}"
    for _ in range(rng.below(4) + 1):
        await rand_sleep(name, rng)
        item_id = f"{rng.next() & 0xFFFFFF:06x}"
        await q.put((item_id, asyncio.get_running_loop().time()))  # unbounded: never waits
        task_line(name, f"{loop_now()} added <{item_id}> to the queue ({q.qsize()} waiting)")


async def consume(n, q, rng):
    name = f"consumer {n}"
    loop = asyncio.get_running_loop()
    try:
        while True:
            await rand_sleep(name, rng)
            item_id, made = await q.get()
            task_line(name, f"{loop_now()} got <{item_id}> after {format_time(loop.time() - made)} in the queue")
            q.task_done()
    except asyncio.CancelledError:
        task_line(name, f"{loop_now()} cancelled while waiting: stops")
        raise  # swallowing it would make the task finish normally, not cancelled


async def main_queue(rng):
    q = asyncio.Queue()
    producers = [asyncio.create_task(produce(n, q, rng), name=f"producer {n}") for n in (1, 2)]
    consumers = [asyncio.create_task(consume(n, q, rng), name=f"consumer {n}") for n in (1, 2, 3)]
    await asyncio.gather(*producers)
    task_line("main", f"{loop_now()} producers done; join() waits for every item to be processed")
    await q.join()
    task_line("main", f"{loop_now()} joined; cancelling the consumers")
    for c in consumers:
        c.cancel()
    await asyncio.gather(*consumers, return_exceptions=True)


def main():
    args = parse_args(seed=True)
    clock = VirtualClock()
    with demo("queue", "producers and consumers around a Queue; join, then cancel the consumers"):
        run(main_queue(SplitMix64(args.seed)), clock)
        line(f"done at {format_time(clock.now)} (seed {args.seed})")


if __name__ == "__main__":
    main()
