"""chess.py: the twin of `06-toolkit chess` (demos/chess.cpp).

One master plays 24 boards. She takes 5 s per move, each opponent 55 s, 30 move pairs per game.
An asyncio.Lock models the master: she stands at one board at a time, and the boards queue for
her. Simultaneously the exhibition takes about an hour; one board at a time, twelve. On the
virtual clock (looplab.py) both take a fraction of a second of real time.

C++ -> asyncio: Lock -> asyncio.Lock(); co_await master->acquire() plus a Lock::Guard for the
release -> `async with master:`; gather(std::move(games)) -> asyncio.gather(*games).
"""

import asyncio

from looplab import VirtualClock, demo, line, loop_now, parse_args, run, task_line

BOARDS = 24
MOVE_PAIRS = 30
MASTER_MOVE = 5
OPPONENT_MOVE = 55


async def game(board, master, quiet_moves):
    for move in range(1, MOVE_PAIRS + 1):
        async with master:  # the master walks to this board...
            await asyncio.sleep(MASTER_MOVE)  # ...thinks and moves...
        # ...and walks on, while the opponent thinks; the master plays elsewhere meanwhile.
        await asyncio.sleep(OPPONENT_MOVE)
        if not quiet_moves and board == 1 and move in (1, 2):
            task_line("board 1", f"{loop_now()} move pair {move} done")
    if not quiet_moves and board in (1, BOARDS):
        task_line(f"board {board}", f"{loop_now()} game over")


async def simultaneous():
    master = asyncio.Lock()
    await asyncio.gather(*(game(b, master, False) for b in range(1, BOARDS + 1)))


async def sequential():
    master = asyncio.Lock()
    for b in range(1, BOARDS + 1):
        await game(b, master, True)


def hours(seconds):
    s = int(seconds)
    return f"{s // 3600} h {s % 3600 // 60} min {s % 60} s"


def main():
    parse_args()
    clock = VirtualClock()
    with demo("chess", "one master, 24 boards: about 1 h simultaneously, 12 h one at a time (a Lock)"):
        t0 = clock.now
        run(simultaneous(), clock)
        line(f"simultaneous: {hours(clock.now - t0)}")
        t1 = clock.now
        run(sequential(), clock)
        line(f"one at a time: {hours(clock.now - t1)}")


if __name__ == "__main__":
    main()
