"""chain.py: the twin of `06-toolkit chain` (demos/chain.cpp).

For each n, part1 and then part2, which needs part1's result; each sleeps a random whole number of
seconds first. Inside one chain the parts run in order (await); the three chains are gathered, so
they run concurrently and the total is the longest chain, not the sum of all six delays.

The delays come from SplitMix64 (looplab.py), the generator the C++ demo uses, drawn in the same
order: each part draws when it starts, and the chains start in the order gather() made their tasks.
So `--seed N` gives the same schedule on both sides.

C++ -> asyncio: rng->below(11) -> rng.below(11) (like random.randint(0, 10)); Coroutine<std::string>
-> async def returning str; gather(std::move(chains)) -> asyncio.gather(*chains).
"""

import asyncio

from looplab import SplitMix64, VirtualClock, demo, format_time, line, loop_now, parse_args, run, task_line


async def part1(n, rng):
    delay = rng.below(11)
    task_line(f"chain {n}", f"{loop_now()} part1({n}) sleeping for {delay} seconds")
    await asyncio.sleep(delay)
    result = f"result{n}-1"
    task_line(f"chain {n}", f"{loop_now()} returning part1({n}) == {result}")
    return result


async def part2(n, arg, rng):
    delay = rng.below(11)
    task_line(f"chain {n}", f"{loop_now()} part2({n}, {arg}) sleeping for {delay} seconds")
    await asyncio.sleep(delay)
    result = f"result{n}-2 derived from {arg}"
    task_line(f"chain {n}", f"{loop_now()} returning part2({n}, {arg}) == {result}")
    return result


async def chain(n, rng):
    loop = asyncio.get_running_loop()
    start = loop.time()
    p1 = await part1(n, rng)
    p2 = await part2(n, p1, rng)
    task_line(f"chain {n}",
              f"{loop_now()} --> chained result{n} => {p2} (took {format_time(loop.time() - start)})")


async def all_chains(rng):
    await asyncio.gather(*(chain(n, rng) for n in (9, 6, 3)))


def main():
    args = parse_args(seed=True)
    clock = VirtualClock()
    with demo("chain", "chains of two dependent steps with seeded random delays, gathered"):
        rng = SplitMix64(args.seed)
        t0 = clock.now
        run(all_chains(rng), clock)
        line(f"all chains done in {format_time(clock.now - t0)} (seed {args.seed})")


if __name__ == "__main__":
    main()
