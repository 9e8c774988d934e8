// Demo `queue`: producers and consumers around one Queue, with seeded random delays. main waits for
// the producers, then join()s the queue (every item processed), then cancels the consumers, which
// would otherwise wait in get() forever.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "demos/demos.hpp"
#include "looplab/random.hpp"

namespace looplab::inline stage06 {

namespace {

struct Item {
    std::string id;
    Duration made;
};

Coroutine<void> rand_sleep(std::string who, SplitMix64* rng, Narrator* say) {
    const auto delay = static_cast<int>(rng->below(4));
    say->task_line(who, loop_now() + " sleeping for " + std::to_string(delay) + " s");
    co_await sleep(delay);
}

Coroutine<void> produce(int n, Queue<Item>* q, SplitMix64* rng, Narrator* say) {
    const std::string name = "producer " + std::to_string(n);
    const auto count = static_cast<int>(rng->below(4)) + 1;
    for (int i = 0; i < count; ++i) {
        co_await rand_sleep(name, rng, say);
        char id[16];
        std::snprintf(id, sizeof id, "%06llx", static_cast<unsigned long long>(rng->next() & 0xFFFFFF));
        // A named local, not a braced temporary inside the co_await expression: built with GCC 12,
        // `co_await q->put(Item{...})` crashed here (munmap_chunk(): invalid pointer) while clang ran
        // it cleanly under AddressSanitizer. Keeping co_await operands simple sidesteps the compiler.
        Item item{id, get_running_loop().time()};
        co_await q->put(std::move(item));
        say->task_line(name, loop_now() + " added <" + std::string(id) + "> to the queue (" + std::to_string(q->qsize()) +
                                 " waiting)");
    }
}

Coroutine<void> consume(int n, Queue<Item>* q, SplitMix64* rng, Narrator* say) {
    const std::string name = "consumer " + std::to_string(n);
    try {
        for (;;) {
            co_await rand_sleep(name, rng, say);
            Item item = co_await q->get();
            say->task_line(name, loop_now() + " got <" + item.id + "> after " +
                                     format_time(get_running_loop().time() - item.made) + " in the queue");
            q->task_done();
        }
    } catch (const CancelledError&) {
        say->task_line(name, loop_now() + " cancelled while waiting: stops");
        throw;
    }
}

Coroutine<void> main_queue(SplitMix64* rng, Narrator* say) {
    Queue<Item> q;
    std::vector<Task<void>> producers, consumers;
    for (int n = 1; n <= 2; ++n) producers.push_back(create_task(produce(n, &q, rng, say), "producer " + std::to_string(n)));
    for (int n = 1; n <= 3; ++n) consumers.push_back(create_task(consume(n, &q, rng, say), "consumer " + std::to_string(n)));
    co_await gather(producers);
    say->task_line("main", loop_now() + " producers done; join() waits for every item to be processed");
    co_await q.join();
    say->task_line("main", loop_now() + " joined; cancelling the consumers");
    for (auto& c : consumers) c.cancel();
    co_await gather(return_exceptions, consumers);
}

} // namespace

void demo_queue(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    say.heading("Two producers, three consumers, one Queue");
    say.say("Each producer makes 1-4 items, sleeping 0-3 s (seeded) before each; each consumer sleeps "
            "0-3 s, then waits in get(). task_done() marks an item processed; join() returns when all are.");
    SplitMix64 rng(opts.seed);
    run(main_queue(&rng, &say), ctx.clock, demo_run_options(ctx));
    say.line("done at " + format_time(ctx.clock.now()) + " (seed " + std::to_string(opts.seed) + ")");
    say.source("read queue.hpp: put/get wait on Futures; join() waits on an Event");
}

} // namespace looplab::stage06
