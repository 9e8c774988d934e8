// Demo `chess`: one master plays 24 boards. She takes 5 s per move, each opponent 55 s; 30 move pairs
// per game. Simultaneously (a Lock models the master: one board at a time) it takes about an hour;
// one board at a time, about twelve.
#include <string>
#include <vector>

#include "demos/demos.hpp"

namespace looplab::inline stage06 {

namespace {

struct Exhibition {
    int boards = 24;
    int move_pairs = 30;
    Duration master_move = seconds(5);
    Duration opponent_move = seconds(55);
};

Coroutine<void> game(int board, Exhibition ex, Lock* master, Narrator* say, bool quiet_moves) {
    for (int move = 1; move <= ex.move_pairs; ++move) {
        co_await master->acquire();   // the master walks to this board...
        {
            Lock::Guard at_board(*master);
            co_await sleep(ex.master_move);   // ...thinks and moves...
        }                                     // ...and walks on
        co_await sleep(ex.opponent_move);     // the opponent thinks; the master plays elsewhere
        if (!quiet_moves && board == 1 && (move == 1 || move == 2))
            say->task_line("board 1", loop_now() + " move pair " + std::to_string(move) + " done");
    }
    if (!quiet_moves && (board == 1 || board == ex.boards))
        say->task_line("board " + std::to_string(board), loop_now() + " game over");
}

Coroutine<void> simultaneous(Exhibition ex, Narrator* say) {
    Lock master;
    std::vector<Coroutine<void>> games;
    for (int b = 1; b <= ex.boards; ++b) games.push_back(game(b, ex, &master, say, false));
    co_await gather(std::move(games));
}

Coroutine<void> sequential(Exhibition ex, Narrator* say) {
    Lock master;
    for (int b = 1; b <= ex.boards; ++b) co_await game(b, ex, &master, say, true);
}

std::string hours(Duration d) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min " + std::to_string(s % 60) + " s";
}

} // namespace

void demo_chess(DemoContext& ctx) {
    auto& say = ctx.say;
    Exhibition ex;
    if (!ctx.clock.is_virtual()) {
        // An hour of real waiting would be no demo: on the real clock every duration is 3600 times
        // shorter (the schedule is the same; the figures are then seconds, not hours).
        ex.master_move = ex.master_move / 3600;
        ex.opponent_move = ex.opponent_move / 3600;
        say.say("(real clock: every move is 3600 times faster; run with --clock virtual for the real thing)");
    }
    say.heading("A simultaneous exhibition: 24 boards, 30 move pairs each");
    say.say("The master needs 5 s per move, each opponent 55 s. A Lock models the master: she can stand at "
            "one board at a time, and the boards wait for her in turn.");
    const Duration t0 = ctx.clock.now();
    run(simultaneous(ex, &say), ctx.clock, demo_run_options(ctx));
    const Duration together = ctx.clock.now() - t0;
    say.line("simultaneous: " + hours(together));

    say.heading("The same 24 games one board at a time");
    const Duration t1 = ctx.clock.now();
    run(sequential(ex, &say), ctx.clock, demo_run_options(ctx));
    const Duration apart = ctx.clock.now() - t1;
    say.line("one at a time: " + hours(apart));
    say.say("The master is busy 24 x 5 s = 2 min per round of moves, longer than an opponent's 55 s, so "
            "simultaneous play is bound by her: 30 rounds x 2 min = 1 h. One board at a time, each game "
            "costs 30 x 60 s = 30 min, and 24 of them make 12 h.");
}

} // namespace looplab::stage06
