"""C53: after a gather failed with its first child's exception and its caller dropped it, a later
child's exception is not reported as never retrieved (the children's callbacks keep the gather alive
and, once it is done, mark later exceptions retrieved). Prints the loop's reports: none expected.
Run: python3 -X dev c53_gather_later_failure.py (3.11 and 3.13 print the same)."""
import asyncio
import gc
import sys


async def fail_after(delay, what):
    await asyncio.sleep(delay)
    raise RuntimeError(what)


async def main():
    reports = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, ctx: reports.append(ctx["message"]))
    try:
        await asyncio.gather(fail_after(0.01, "first"), fail_after(0.03, "second"))
    except RuntimeError as e:
        print("gather failed with:", e)
    # The gather and its children are referenced by nobody here now; the second child fails later.
    await asyncio.sleep(0.05)
    gc.collect()
    print("reports:", reports)


print(sys.version.split()[0])
asyncio.run(main())
