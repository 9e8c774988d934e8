// Stage 05: futures and tasks. main() only registers the demos and binds the stage's options; the
// lesson is in the headers (start with event_loop.hpp, then future.hpp and task.hpp), and the demos
// are in demos/.
#include "demos/demos.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("05-futures-tasks",
                 "Stage 05: futures and tasks - the loop runs callbacks; Futures and Tasks turn them back into coroutines");
    StageOptions opts;
    app.cli().add_option("--seed", opts.seed, "Seed of the random delays (chain, queue)")->capture_default_str();

    app.add({"callbacks", "a program written with plain callbacks, then as a coroutine", demo_callbacks});
    app.add({"await-vs-task", "awaiting a coroutine does not cede control; creating a task does", demo_await_vs_task});
    app.add({"count", "five counters sleeping 1 s then 2 s, gathered: 3 s, not 15 s", demo_count});
    app.add({"chain", "chains of two dependent steps with seeded random delays, gathered",
             [&](DemoContext& ctx) { demo_chain(ctx, opts); }});
    app.add({"queue", "producers and consumers around a Queue; join, then cancel the consumers",
             [&](DemoContext& ctx) { demo_queue(ctx, opts); }});
    app.add({"chess", "one master, 24 boards: about 1 h simultaneously, 12 h one at a time (a Lock)", demo_chess});
    app.add({"cancel", "cancel a waiting task, catch and clean up, wait_for timing out", demo_cancel});
    app.add({"selfish", "a task that never awaits starves the others; debug mode; sleep(0) fixes it", demo_selfish});
    app.add({"bench", "tasks created and completed per second, Queue round trips per second (wall time)",
             demo_bench, /*deterministic=*/false});
    app.set_tour("await-vs-task");
    return app.main(argc, argv);
}
