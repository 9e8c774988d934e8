// Demo `callbacks`: a small program written against the loop with plain callbacks only. It works;
// the narration shows why nobody wants to write programs this way, and then the same program with
// coroutines.
#include <memory>
#include <string>

#include "demos/demos.hpp"

namespace looplab::inline stage05 {

namespace {

// "Fetch" a value: the answer arrives `delay` later, through a callback. The only way to get a result
// out of a callback-style API is to hand it a function to call.
void fetch(EventLoop& loop, std::string what, Duration delay, int value, std::function<void(int)> on_done) {
    loop.call_later(delay, [on_done, value] { on_done(value); }, "fetch " + what);
}

Coroutine<int> fetch_co(std::string what, double delay, int value, Narrator* say) {
    say->task_line("main", loop_now() + " fetching " + what);
    co_await sleep(delay);
    say->task_line("main", loop_now() + " " + what + " arrived: " + std::to_string(value));
    co_return value;
}

Coroutine<int> program(Narrator* say) {
    // Two tasks, so both fetches wait at the same time; then their results, one after the other.
    Task<int> price_task = create_task(fetch_co("price", 1.0, 7, say));
    Task<int> qty_task = create_task(fetch_co("quantity", 2.0, 6, say));
    const int price = co_await price_task;
    const int qty = co_await qty_task;
    const int total = co_await fetch_co("discount", 0.5, price * qty - 2, say);
    co_return total;
}

} // namespace

void demo_callbacks(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("The loop only runs callbacks");
    say.say("This stage's EventLoop knows nothing of coroutines: call_soon(f) runs f in the next iteration, "
            "call_later(d, f) runs f once d has passed, add_reader(fd, f) runs f whenever fd is readable. "
            "Here is a program written against it with callbacks alone: fetch a price and a quantity at "
            "the same time, multiply them, then fetch a discounted total based on the product.");
    say.source("read run_once() in event_loop.hpp: the five phases of one iteration");

    EventLoop loop(ctx.clock, std::make_unique<SelectSelector>(), &ctx.trace);
    // The state that a coroutine would keep in local variables has to live on the heap, shared by
    // every callback that needs it.
    struct State {
        int price = 0, qty = 0, pending = 2;
    };
    auto state = std::make_shared<State>();
    Narrator* out = &say;
    auto both_arrived = [&loop, state, out] {
        out->task_line("callbacks", loop_time_label(loop) + " both arrived: " + std::to_string(state->price) + " x " +
                                        std::to_string(state->qty));
        fetch(loop, "discount", seconds(0.5), state->price * state->qty - 2, [&loop, out](int total) {
            out->task_line("callbacks", loop_time_label(loop) + " total: " + std::to_string(total));
            loop.stop();
        });
    };
    out->task_line("callbacks", loop_time_label(loop) + " fetching price and quantity");
    fetch(loop, "price", seconds(1.0), 7, [state, both_arrived, out, &loop](int p) {
        out->task_line("callbacks", loop_time_label(loop) + " price arrived: " + std::to_string(p));
        state->price = p;
        if (--state->pending == 0) both_arrived();
    });
    fetch(loop, "quantity", seconds(2.0), 6, [state, both_arrived, out, &loop](int q) {
        out->task_line("callbacks", loop_time_label(loop) + " quantity arrived: " + std::to_string(q));
        state->qty = q;
        if (--state->pending == 0) both_arrived();
    });
    loop.run_forever();
    loop.close();
    say.say("It works, and it took 2.5 s, not 3.5 s: both fetches waited at the same time. But look at the "
            "source (demos/callbacks.cpp): the program's state moved into a shared struct, a counter "
            "decides who continues, the order of the steps reads inside-out, and an exception thrown in "
            "any callback would land in the loop's exception handler instead of reaching the code that "
            "asked for the value. That is the \"callback hell\" Futures and Tasks exist to end.");

    say.heading("The same program as a coroutine");
    say.say("A Task drives a coroutine one callback at a time; a Future turns \"call me back\" into "
            "co_await. The program becomes straight-line code with local variables:");
    const int total = run(program(&say), ctx.clock, demo_run_options(ctx));
    say.line("result: " + std::to_string(total) + " at " + format_time(ctx.clock.now()));
    say.source("read task.hpp: how a Task's step() turns the callbacks back into a coroutine");
}

} // namespace looplab::stage05
