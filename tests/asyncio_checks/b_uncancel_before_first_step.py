"""(b) cancel() then uncancel() on a task before its first step: does the task still end cancelled?
3.11 and 3.12: yes (uncancel() only lowers the count; the "must cancel" mark stays and the first step
throws CancelledError in, so none of the body runs). 3.13: no (uncancel() that brings the count to
0 clears the mark too; the body runs and the task returns normally).
Run: python3 b_uncancel_before_first_step.py"""
import asyncio
import sys


async def body(log):
    log.append("body ran")
    await asyncio.sleep(0)
    return 7


async def main():
    log = []
    t = asyncio.create_task(body(log))
    print("cancel():", t.cancel(), " cancelling():", t.cancelling())
    print("uncancel():", t.uncancel())
    try:
        print("result:", await t)
    except asyncio.CancelledError:
        print("the task ended cancelled")
    print("log:", log)


print(sys.version.split()[0])
asyncio.run(main())
