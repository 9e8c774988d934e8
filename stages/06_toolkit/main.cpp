// Stage 06: the toolkit. main() only registers the demos and binds --seed; the lesson is in the headers
// this stage adds to stage 05 (gather.hpp, timeout.hpp, wait_for.hpp, shield.hpp, sync.hpp, queue.hpp),
// and the demos are in demos/.
#include "demos/demos.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("06-toolkit",
                 "Stage 06: the toolkit - gather, timeouts, shield, Lock, Event, Semaphore and Queue, built on Future and Task");
    StageOptions opts;
    app.cli()
        .add_option("--seed", opts.seed, "Seed of the random numbers (chain, queue, random-int)")
        ->check(number<std::uint64_t>(0, UINT64_MAX))
        ->capture_default_str();
    app.add({"restaurant", "one waiter, three customers: 16 min one table at a time, 10 min gathered", demo_restaurant});
    app.add({"random-int", "three coroutines draw seeded random integers until each beats its threshold, gathered",
             [&](DemoContext& ctx) { demo_random_int(ctx, opts); }});
    app.add({"chain", "chains of two dependent steps with seeded random delays, gathered",
             [&](DemoContext& ctx) { demo_chain(ctx, opts); }});
    app.add({"chess", "one master, 24 boards: about 1 h simultaneously, 12 h one at a time (a Lock)", demo_chess});
    app.add({"queue", "producers and consumers around a Queue; join, then cancel the consumers",
             [&](DemoContext& ctx) { demo_queue(ctx, opts); }});
    app.add({"cancel", "cancel a waiting task, catch and clean up, wait_for timing out", demo_cancel});
    app.set_tour("restaurant");
    if (auto code = app.parse(argc, argv)) return *code;
    return app.run();
}
