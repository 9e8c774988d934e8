"""random_int.py: the twin of `06-toolkit random-int` (demos/random_int.cpp).

makerandom(i) draws an integer from 0 to 10 until it draws more than its threshold (9, 8, 7 for
i = 0, 1, 2), sleeping i + 1 seconds after each miss. The three are gathered, so their draws
interleave; the results come back in argument order.

The numbers come from SplitMix64 (looplab.py), the generator the C++ demo uses, shared by the three
coroutines and drawn in the same order: whoever runs first draws next. With whole-second sleeps the
three often wake at the same virtual time; both loops then run them first come, first served (see
README.md, "Equal deadlines"), so `--seed N` gives the same lines on both sides.

C++ -> asyncio: rng->below(11) -> rng.below(11) (like random.randint(0, 10)); Coroutine<int> ->
async def returning int; gather(std::move(makers)) -> asyncio.gather(*makers).
"""

import asyncio

from looplab import SplitMix64, VirtualClock, demo, format_time, line, loop_now, parse_args, run, task_line


async def makerandom(idx, threshold, rng):
    name = f"makerandom({idx})"
    task_line(name, f"{loop_now()} starts; needs more than {threshold}")
    i = rng.below(11)
    while i <= threshold:
        task_line(name, f"{loop_now()} drew {i}, too low; retrying in {idx + 1} s")
        await asyncio.sleep(idx + 1)
        i = rng.below(11)
    task_line(name, f"{loop_now()} drew {i}, done")
    return i


async def all_three(rng):
    return await asyncio.gather(*(makerandom(idx, 10 - idx - 1, rng) for idx in range(3)))


def main():
    args = parse_args(seed=True)
    clock = VirtualClock()
    with demo("random-int", "three coroutines draw seeded random integers until each beats its threshold, gathered"):
        rng = SplitMix64(args.seed)
        t0 = clock.now
        results = run(all_three(rng), clock)
        line(f"gathered results: [{', '.join(map(str, results))}] after {format_time(clock.now - t0)} "
             f"(seed {args.seed})")


if __name__ == "__main__":
    main()
