// Demo `threads-vs-coroutines`: two OS threads, which the kernel may interrupt between any two
// instructions, beside two coroutines, which switch exactly where they co_yield. The thread half
// differs from run to run, so this demo is not in the golden transcripts.
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "demos/demos.hpp"
#include "generator.hpp"

namespace looplab::inline stage01 {

namespace {
Generator<std::string> worker(std::string name, int steps) {
    for (int i = 1; i <= steps; ++i) co_yield name + " step " + std::to_string(i);
}
} // namespace

void demo_threads_vs_coroutines(DemoContext& ctx) {
    auto& say = ctx.say;
    constexpr int steps = 5;
    say.heading("Two threads: the operating system decides who runs");
    say.say("Each thread prints five steps with a little work between them. The kernel's scheduler "
            "preempts them whenever it likes, and on a machine with several cores they truly run at "
            "once: the order below changes from run to run (run it again). That is why this demo is "
            "left out of the golden transcripts.");
    std::mutex out_lock;   // only so lines are not torn; the order is still the kernel's choice
    std::vector<std::thread> threads;
    for (std::string name : {"thread A", "thread B"}) {
        threads.emplace_back([name, &out_lock, &say] {
            for (int i = 1; i <= steps; ++i) {
                volatile unsigned spin = 0;
                for (unsigned k = 0; k < 200000u * static_cast<unsigned>(1 + (i % 3)); k = k + 1) spin = spin + k;
                std::lock_guard<std::mutex> guard(out_lock);
                say.task_line(name, "step " + std::to_string(i));
            }
        });
    }
    for (auto& t : threads) t.join();

    say.heading("Two coroutines: they switch exactly where they co_yield");
    say.say("A tiny round-robin driver resumes A, then B, then A... Nothing can interrupt a coroutine "
            "between two of its co_yields, so this half prints the same order every time. Stage 02 turns "
            "this driver into a scheduler: coroutines yield what they are waiting for, and the driver "
            "decides who runs next.");
    std::vector<Generator<std::string>> coroutines;
    coroutines.push_back(worker("coroutine A", steps));
    coroutines.push_back(worker("coroutine B", steps));
    coroutines[0].traced(ctx.trace, "coroutine A");
    coroutines[1].traced(ctx.trace, "coroutine B");
    bool any = true;
    while (any) {
        any = false;
        for (auto& c : coroutines) {
            if (auto line = c.next()) {
                say.line(*line);
                any = true;
            }
        }
    }
    say.source("read the round-robin loop at the end of demos/threads_vs_coroutines.cpp");
}

} // namespace looplab::stage01
