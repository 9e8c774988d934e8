"""restaurant.py: the twin of `06-toolkit restaurant` (demos/restaurant.cpp).

One waiter, three customers who take 5, 10 and 1 minutes to choose. First the waiter awaits each
customer in turn: awaiting a coroutine runs it to the end, so each starts deciding only when the
waiter reaches their table, and the orders take 5 + 10 + 1 = 16 minutes. Then the waiter hands out
every menu and gathers the orders: the customers decide at the same time, and it takes 10 minutes,
the slowest customer. The minutes are the virtual clock's (looplab.py), so the demo takes no time.

C++ -> asyncio: sleep(c.minutes * 60) -> asyncio.sleep(minutes * 60); co_await decide(...) in a loop
-> await decide(...) in a loop; gather(std::move(deciding)) -> asyncio.gather(*deciding); the
std::chrono::minutes cast -> integer division of the loop's seconds by 60.
"""

import asyncio

from looplab import VirtualClock, demo, line, parse_args, run, task_line

CUSTOMERS = [("Ann", 5, "soup"), ("Bob", 10, "steak"), ("Cy", 1, "salad")]


def at(start):
    """Whole minutes since `start`, the beginning of this sitting: "t=5 min"."""
    return f"t={int(asyncio.get_running_loop().time() - start) // 60} min"


async def decide(customer, start):
    name, minutes, dish = customer
    task_line(name, f"{at(start)} reads the menu ({minutes} min to decide)")
    await asyncio.sleep(minutes * 60)
    task_line(name, f"{at(start)} orders the {dish}")
    return dish


async def one_table_at_a_time():
    start = asyncio.get_running_loop().time()
    orders = []
    for customer in CUSTOMERS:
        task_line("waiter", f"{at(start)} goes to {customer[0]}'s table")
        orders.append(await decide(customer, start))
    task_line("waiter", f"{at(start)} has every order: {', '.join(orders)}")


async def all_tables_at_once():
    start = asyncio.get_running_loop().time()
    task_line("waiter", f"{at(start)} hands a menu to every table")
    orders = await asyncio.gather(*(decide(customer, start) for customer in CUSTOMERS))
    task_line("waiter", f"{at(start)} has every order: {', '.join(orders)}")


def minutes(seconds):
    return f"{int(seconds) // 60} min"


def main():
    parse_args()
    clock = VirtualClock()
    with demo("restaurant", "one waiter, three customers: 16 min one table at a time, 10 min gathered"):
        t0 = clock.now
        run(one_table_at_a_time(), clock)
        serial = clock.now - t0
        line(f"one table at a time: {minutes(serial)} (5 + 10 + 1)")
        t1 = clock.now
        run(all_tables_at_once(), clock)
        gathered = clock.now - t1
        line(f"every table at once: {minutes(gathered)} (the slowest customer)")
        line(f"one waiter either way: {minutes(serial)} vs {minutes(gathered)}")


if __name__ == "__main__":
    main()
