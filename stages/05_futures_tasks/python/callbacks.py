"""callbacks.py: the twin of `05-futures-tasks callbacks` (demos/callbacks.cpp).

First a program written against the bare loop, with callbacks only: fetch a price and a quantity at
the same time, multiply them, then fetch a discounted total. It works, but its state lives in a
shared object, a counter decides who goes on, and the steps read inside-out. Then the same program
as a coroutine: straight-line code with local variables. asyncio's loop has the same callback API
as the C++ EventLoop (call_later, call_soon, stop, run_forever, close), so the first half is
almost a transliteration.

C++ -> asyncio: EventLoop(clock) -> looplab.new_loop(clock); loop.call_later(seconds(d), f, name)
-> loop.call_later(d, f); loop.run_forever()/stop()/close() -> the same names; create_task(c) ->
asyncio.create_task(c); const int price = co_await t -> price = await t
"""

import asyncio
import types

from looplab import VirtualClock, demo, format_time, line, loop_now, new_loop, parse_args, run, task_line


def fetch(loop, delay, value, on_done):
    """'Fetch' a value: it arrives `delay` later, through the callback `on_done`."""
    loop.call_later(delay, on_done, value)


def callback_program(clock):
    loop = new_loop(clock)
    # What a coroutine would keep in local variables must outlive each callback: a shared object.
    state = types.SimpleNamespace(price=0, qty=0, pending=2)

    def now():
        return format_time(loop.time())

    def total_arrived(total):
        task_line("callbacks", f"{now()} total: {total}")
        loop.stop()

    def both_arrived():
        task_line("callbacks", f"{now()} both arrived: {state.price} x {state.qty}")
        fetch(loop, 0.5, state.price * state.qty - 2, total_arrived)

    def price_arrived(p):
        task_line("callbacks", f"{now()} price arrived: {p}")
        state.price = p
        state.pending -= 1
        if state.pending == 0:
            both_arrived()

    def quantity_arrived(q):
        task_line("callbacks", f"{now()} quantity arrived: {q}")
        state.qty = q
        state.pending -= 1
        if state.pending == 0:
            both_arrived()

    task_line("callbacks", f"{now()} fetching price and quantity")
    fetch(loop, 1.0, 7, price_arrived)
    fetch(loop, 2.0, 6, quantity_arrived)
    loop.run_forever()
    loop.close()


async def fetch_co(what, delay, value):
    task_line("main", f"{loop_now()} fetching {what}")
    await asyncio.sleep(delay)
    task_line("main", f"{loop_now()} {what} arrived: {value}")
    return value


async def program():
    price_task = asyncio.create_task(fetch_co("price", 1.0, 7))
    qty_task = asyncio.create_task(fetch_co("quantity", 2.0, 6))
    price = await price_task
    qty = await qty_task
    return await fetch_co("discount", 0.5, price * qty - 2)


def main():
    parse_args()
    clock = VirtualClock()
    with demo("callbacks", "a program written with plain callbacks, then as a coroutine"):
        callback_program(clock)
        total = run(program(), clock)
        line(f"result: {total} at {format_time(clock.now)}")


if __name__ == "__main__":
    main()
