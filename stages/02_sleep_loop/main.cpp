// Stage 02: a loop that only knows time. main() only registers the demos and binds the stage's
// options; the lesson is in coroutine.hpp and loop.hpp, and the demos are in demos/.
#include "demos/demos.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("02-sleep-loop", "Stage 02: a sleep loop - coroutines yield events, one driver does all the waiting");
    StageOptions opts;
    CLI::App& cli = app.cli();
    cli.add_option("--tasks", opts.tasks, "How many sleepers (sleepy: 5; scaling: the largest N, 10000)")
        ->check(number(1, 100000));
    cli.add_option("--steps", opts.steps, "How many sleeps each (sleepy: 5; scaling: 3)")->check(number(1, 1000));
    cli.add_option("--delay", opts.delay, "Seconds per sleep (sleepy, nested)")
        ->check(number(0.0, 10.0))
        ->capture_default_str();
    cli.add_option("--queue", "The timer queue: list (sorted again on every insert) or heap")
        ->check(CLI::IsMember({"list", "heap"}))
        ->each([&opts](const std::string& kind) { opts.queue = kind == "list" ? QueueKind::List : QueueKind::Heap; })
        ->default_str("heap");

    app.add({"sleepy", "sleepers side by side finish in one sleeper's time, not in the sum of all sleeps",
             [&](DemoContext& ctx) { demo_sleepy(ctx, opts); }});
    app.add({"nested", "sleep() awaits two half sleeps: events go to the loop, results and errors to the awaiter",
             [&](DemoContext& ctx) { demo_nested(ctx, opts); }});
    app.add({"scaling", "the loop's own time per resume: sorted list vs heap as N grows",
             [&](DemoContext& ctx) { demo_scaling(ctx, opts); }, /*deterministic=*/false});
    app.set_tour("sleepy");
    return app.main(argc, argv);
}
