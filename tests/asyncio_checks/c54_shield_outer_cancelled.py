"""C54: shield(coro) whose caller is cancelled; the shielded task fails later. The outer future's
done-callback removed the inner's callback to it, so nobody retrieves the inner exception: it is
reported as never retrieved. Run: python3 -X dev c54_shield_outer_cancelled.py (3.11 and 3.13 agree)."""
import asyncio
import gc
import sys


async def fail_after(delay, what):
    await asyncio.sleep(delay)
    raise RuntimeError(what)


async def caller():
    await asyncio.shield(fail_after(0.02, "inner failed"))


async def main():
    reports = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: reports.append(ctx["message"]))
    c = asyncio.create_task(caller())
    await asyncio.sleep(0.01)
    c.cancel()
    try:
        await c
    except asyncio.CancelledError:
        print("caller cancelled")
    await asyncio.sleep(0.03)
    gc.collect()
    print("reports:", reports)


print(sys.version.split()[0])
asyncio.run(main())
