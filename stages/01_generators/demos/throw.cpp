// Demo `throw`: throw_into() raises an exception *inside* the generator, at the co_yield it is stopped
// at. The generator may catch it and go on, or let it escape to the caller.
#include <stdexcept>
#include <string>

#include "demos/demos.hpp"
#include "generator.hpp"

namespace looplab::inline stage01 {

namespace {
/// What the caller throws in to ask the counter to start again.
struct Reset {};

Generator<int> counter(Narrator* say) {
    say->task_line("counter", "body starts");
    int n = 0;
    while (true) {
        try {
            co_yield n;
            n += 1;
        } catch (const Reset&) {
            // C++ forbids co_yield inside a catch block, so we only note the reset here; the loop
            // yields the fresh value from inside the try.
            say->task_line("counter", "caught Reset at its co_yield: back to 0");
            n = 0;
        }
    }
}
} // namespace

void demo_throw(DemoContext& ctx) {
    auto& say = ctx.say;
    FrameWatch frames;
    say.heading("A generator that catches what is thrown in");
    {
        Generator<int> gen = counter(&say);
        gen.traced(ctx.trace, "counter");
        for (int i = 0; i < 3; ++i) say.line("caller: next() -> " + std::to_string(*gen.next()));
        say.line("caller: throw_into(Reset{}) -> " + std::to_string(*gen.throw_into(Reset{})));
        say.line("caller: next() -> " + std::to_string(*gen.next()));

        say.heading("An exception the generator does not catch comes back out");
        try {
            gen.throw_into(std::runtime_error("shutting down"));
            say.line("caller: the generator swallowed it?!");
        } catch (const std::runtime_error& e) {
            say.line(std::string("caller: throw_into(runtime_error) -> rethrown to the caller: ") + e.what());
        }
        say.line(std::string("caller: done() is ") + (gen.done() ? "true" : "false") + "; next() -> " +
                 (gen.next() ? "a value" : "nothing"));
    }

    say.heading("Throwing into a generator that has not started");
    say.say("There is no co_yield to raise it at, so it is raised before the first line of the body: "
            "the body never runs (watch for 'body starts'), as with Python's throw().");
    {
        Generator<int> fresh = counter(&say);
        try {
            fresh.throw_into(std::runtime_error("never started"));
        } catch (const std::runtime_error& e) {
            say.line(std::string("caller: rethrown: ") + e.what() + "; done() is " + (fresh.done() ? "true" : "false"));
        }
    }
    say.line("caller: " + frames.line());
    say.source("read Generator::throw_into() and PromiseBase::initial_suspend() in generator.hpp");
}

} // namespace looplab::stage01
