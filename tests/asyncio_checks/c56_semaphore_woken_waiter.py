"""C56: a Semaphore waiter woken by release() but not yet run still counts against locked().
Semaphore(0) and a waiter a; then, in one step, newcomers are let go (an Event) and release() is called
three times: a is woken (value 0), the next two releases find nobody else queued (value 2). The
newcomers b and c run before a does: locked() is still true, so they queue behind a. When a has
acquired, it wakes further waiters while the value allows: 3.13 wakes b and c at once (a loop),
3.11 wakes b, and b wakes c an iteration later. The order a, b, c is the same in both.
Run: python3 c56_semaphore_woken_waiter.py"""
import asyncio
import sys


async def main():
    sem = asyncio.Semaphore(0)
    go = asyncio.Event()
    tick = 0
    log = []

    async def ticker():
        nonlocal tick
        while True:
            await asyncio.sleep(0)
            tick += 1

    async def user(name, wait_for_go):
        if wait_for_go:
            await go.wait()
            log.append(f"{name} tries: locked()={sem.locked()} value={sem._value}")
        await sem.acquire()
        log.append(f"{name} acquired at tick {tick}")

    t = asyncio.create_task(ticker())
    a = asyncio.create_task(user("a", False))
    b = asyncio.create_task(user("b", True))
    c = asyncio.create_task(user("c", True))
    await asyncio.sleep(0)          # a is queued on the semaphore, b and c on the event
    go.set()                        # b's and c's wake-ups are queued first
    for _ in range(3):
        sem.release()               # the first wakes a; then value 2
    await asyncio.wait_for(asyncio.gather(a, b, c), 1)
    t.cancel()
    print("\n".join(log))
    print("value:", sem._value)


print(sys.version.split()[0])
asyncio.run(main())
