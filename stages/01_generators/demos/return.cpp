// Demo `return`: a generator can end with co_return v, and the caller reads v once it is done,
// as Python's generators leave their return value in StopIteration.value.
#include <string>
#include <vector>

#include "demos/demos.hpp"
#include "generator.hpp"

namespace looplab::inline stage01 {

namespace {
// Yields each word and returns how many letters it handed out. The vector is taken by value on
// purpose: the frame keeps its own copy, so the caller's vector may go away while we are suspended.
Generator<std::string, void, int> words(std::vector<std::string> list) {
    int letters = 0;
    for (const auto& w : list) {
        co_yield w;
        letters += static_cast<int>(w.size());
    }
    co_return letters;
}
} // namespace

void demo_return(DemoContext& ctx) {
    auto& say = ctx.say;
    say.heading("A generator's return value");
    Generator<std::string, void, int> gen = words({"stop", "and", "resume"});
    gen.traced(ctx.trace, "words");
    try {
        say.line("caller: result() -> " + std::to_string(gen.result()));
    } catch (const GeneratorError& e) {
        say.line(std::string("caller: result() before the end -> GeneratorError: ") + e.what());
    }
    for (const std::string& w : gen) say.line("caller: got \"" + w + "\"");
    say.line("caller: result() -> " + std::to_string(gen.result()) + " letters");
    say.say("The yielded values are the stream; the return value is the verdict at the end. Delegation "
            "(the next demo) is where this matters: the value of `co_await yield_from(sub)` is what sub "
            "returned, so a generator can call a sub-generator like a function.");
    say.source("read Promise::return_value() and Generator::result() in generator.hpp");
}

} // namespace looplab::stage01
