"""(a) gather() of futures that are all done already: is the gather done when gather() returns?
3.11: no; it is done one loop iteration later (each child's done-callback goes through call_soon).
3.12 and 3.13: yes; gather() runs the callbacks of children that are already done itself.
The same for gather() with no arguments? Both versions return a done gather at once.
Run: python3 a_gather_already_done.py"""
import asyncio
import sys


async def main():
    loop = asyncio.get_running_loop()
    f1, f2 = loop.create_future(), loop.create_future()
    f1.set_result(1)
    f2.set_result(2)
    g = asyncio.gather(f1, f2)
    print("all children done: gather done at once:", g.done())
    await asyncio.sleep(0)
    print("  after one iteration:", g.done(), g.result() if g.done() else "")
    f3 = loop.create_future()
    f3.set_exception(RuntimeError("early"))
    g2 = asyncio.gather(f1, f3)
    print("one child failed already: gather done at once:", g2.done())
    await asyncio.sleep(0)
    print("  after one iteration:", g2.done(), repr(g2.exception()) if g2.done() else "")
    print("no children: done at once:", asyncio.gather().done())


print(sys.version.split()[0])
asyncio.run(main())
