// Demo `basics`: a generator's body does not run until next(); each next() runs to the next
// co_yield; range-for drives the rest; an exhausted generator says so; an abandoned one is freed.
#include <stdexcept>
#include <string>

#include "demos/demos.hpp"
#include "generator.hpp"

namespace looplab::inline stage01 {

namespace {
// Announces its own destruction, so the demo can show a suspended frame's locals being destroyed.
struct Noisy {
    Narrator* say;
    ~Noisy() { say->task_line("countdown", "(a local of the body is destroyed with the frame)"); }
};

// `say` is a pointer passed by value: coroutine parameters are copied into the frame, and a
// reference parameter would be a copy of a reference, free to dangle.
Generator<int> countdown(int from, Narrator* say) {
    say->task_line("countdown", "body starts: this line runs at the first next(), not at the call");
    Noisy noisy{say};
    for (int i = from; i > 0; --i) {
        say->task_line("countdown", "co_yield " + std::to_string(i));
        co_yield i;
        say->task_line("countdown", "resumed after co_yield " + std::to_string(i));
    }
    say->task_line("countdown", "body ends");
}
} // namespace

void demo_basics(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("Calling a generator function runs none of its body");
    FrameWatch frames;
    {
        Generator<int> gen = countdown(3, &say);
        gen.traced(ctx.trace, "countdown");
        say.line("caller: countdown(3) returned a Generator; " + frames.line());

        say.heading("next() runs the body up to the next co_yield");
        say.line("caller: next() -> " + std::to_string(*gen.next()));
        say.line("caller: next() -> " + std::to_string(*gen.next()));

        say.heading("range-for calls next() until the body ends");
        for (int v : gen) say.line("caller: loop got " + std::to_string(v));

        say.heading("An exhausted generator stays exhausted");
        const auto more = gen.next();
        say.line(std::string("caller: next() -> ") + (more ? std::to_string(*more) : "nothing (done() is ") +
                 (gen.done() ? "true)" : "false)"));
        say.say("Python raises StopIteration here; C++ returns an empty std::optional. Either way it is "
                "a clear answer, never undefined behaviour, and asking again gives the same answer.");
        say.line("caller: " + frames.line() + " (the finished frame lives until the Generator goes)");
    }
    say.line("caller: Generator destroyed; " + frames.line());

    say.heading("Abandoning a generator half-way frees its frame and its locals");
    {
        Generator<int> gen = countdown(5, &say);
        say.line("caller: next() -> " + std::to_string(*gen.next()) + "; then the caller loses interest");
    }
    say.line("caller: " + frames.line());
    if (frames.alive() != 0) throw std::logic_error("a generator frame leaked");
    say.source("read Generator::next() and Generator::destroy() in generator.hpp");
}

} // namespace looplab::stage01
