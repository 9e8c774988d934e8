// common/narration and common/color: colour only when wanted, NO_COLOR honoured, quiet drops the
// lecture but keeps results, paragraphs wrap.
#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "looplab/color.hpp"
#include "looplab/narration.hpp"

using namespace looplab;

TEST_CASE("colour decisions: always, never, auto honours NO_COLOR and non-terminals") {
    CHECK(should_color(ColorMode::Always, -1));
    CHECK_FALSE(should_color(ColorMode::Never, -1));
    // fd -1 is not a terminal: auto says no.
    CHECK_FALSE(should_color(ColorMode::Auto, -1));
    ::setenv("NO_COLOR", "1", 1);
    CHECK_FALSE(should_color(ColorMode::Auto, 1));
    CHECK(should_color(ColorMode::Always, 1));   // an explicit request beats the environment
    ::unsetenv("NO_COLOR");
    CHECK(parse_color_mode("never") == ColorMode::Never);
    CHECK_THROWS_AS(parse_color_mode("sometimes"), std::invalid_argument);
}

TEST_CASE("a painter adds escape codes only when enabled") {
    CHECK(Painter(false).bold("x") == "x");
    CHECK(Painter(true).bold("x") == "\x1b[1mx\x1b[0m");
    CHECK(Painter(true).palette(0, "a") != Painter(true).palette(1, "a"));
    CHECK(Painter(true).palette(6, "a") == Painter(true).palette(0, "a"));
}

TEST_CASE("quiet hides headings, paragraphs and source pointers but keeps results") {
    std::ostringstream loud_out, quiet_out;
    for (auto* out : {&loud_out, &quiet_out}) {
        Narrator n(*out, false, out == &quiet_out);
        n.heading("Heading");
        n.say("An explanation.");
        n.source("read run() in loop.hpp");
        n.line("result: 42");
        n.task_line("task-1", "step 1");
    }
    CHECK(loud_out.str() == "\n## Heading\nAn explanation.\n  -> read run() in loop.hpp\nresult: 42\ntask-1 step 1\n");
    CHECK(quiet_out.str() == "result: 42\ntask-1 step 1\n");
}

TEST_CASE("a task keeps its colour") {
    std::ostringstream out;
    Narrator n(out, true, false);
    const std::string a = n.task_name("a");
    const std::string b = n.task_name("b");
    CHECK(a != b);
    CHECK(n.task_name("a") == a);
}

TEST_CASE("wrap_text wraps at the width and keeps explicit line breaks") {
    CHECK(wrap_text("aaa bbb ccc", 7, "") == "aaa bbb\nccc");
    CHECK(wrap_text("one\ntwo", 78, "  ") == "  one\n  two");
    CHECK(wrap_text("a-very-long-word", 4, "") == "a-very-long-word");   // never split a word
}
