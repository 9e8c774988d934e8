// common/trace: the recorder, the line log, the timeline and the Chrome JSON.
#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "looplab/clock.hpp"
#include "looplab/narration.hpp"
#include "looplab/trace.hpp"
#include "support/json.hpp"

using namespace looplab;
using looplab::testing::JsonValidator;

TEST_CASE("a tracer with no view on records nothing") {
    VirtualClock clock;
    Tracer t(clock);
    CHECK_FALSE(t.on());
    t.resume("a");
    CHECK(t.events().empty());
    CHECK(t.tasks().empty());
}

TEST_CASE("kept events carry the clock time, the task and the detail") {
    VirtualClock clock;
    Tracer t(clock);
    t.keep_events(true);
    t.resume("a");
    clock.advance(seconds(0.5));
    t.suspend("a", "Sleep(until 1.000s)");
    t.done("b", "42");
    REQUIRE(t.events().size() == 3);
    CHECK(t.events()[1].at == seconds(0.5));
    CHECK(t.events()[1].kind == TraceKind::Suspend);
    CHECK(t.events()[1].detail == "Sleep(until 1.000s)");
    CHECK(t.events()[2].task == 1);
    CHECK(t.tasks() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("the line log prints each event as it happens") {
    VirtualClock clock;
    Tracer t(clock);
    std::ostringstream out;
    Narrator n(out, false, false);
    t.log_to(&n);
    clock.advance(seconds(0.25));
    t.suspend("sleeper", "Sleep(until 0.500s)");
    CHECK(out.str() == "  [trace 0.250s] suspend   sleeper  Sleep(until 0.500s)\n");
    CHECK(t.events().empty());   // logging alone keeps nothing
    t.set_axis(TraceAxis::Events);
    t.resume("sleeper");
    CHECK(out.str().find("  [trace #2] resume    sleeper\n") != std::string::npos);
    t.note("sock_recv", "recv() read 12 bytes");
    CHECK(out.str().find("  [trace #3] note      sock_recv  recv() read 12 bytes\n") != std::string::npos);
}

TEST_CASE("timeline: # where a task ran, . where it waited, ! where it failed") {
    VirtualClock clock;
    Tracer t(clock);
    t.keep_events(true);
    t.resume("a");
    t.suspend("a", "sleep");
    t.resume("b");
    clock.advance(seconds(1));
    t.suspend("b", "sleep");         // b ran for the whole second: a solid bar
    t.resume("a");
    t.error("a", "boom");
    const std::string chart = t.timeline(11);
    INFO(chart);
    CHECK(chart.find("timeline: 0.000s to 1.000s") != std::string::npos);
    CHECK(chart.find("a     #.........!\n") != std::string::npos);
    CHECK(chart.find("b     ###########\n") != std::string::npos);
}

TEST_CASE("timeline counts events when no clock time passed") {
    VirtualClock clock;
    Tracer t(clock);
    t.keep_events(true);
    for (int i = 0; i < 3; ++i) {
        t.resume("x");
        t.suspend("x", "yield");
        t.resume("y");
        t.suspend("y", "yield");
    }
    const std::string chart = t.timeline(12);
    INFO(chart);
    CHECK(chart.find("12 events in order") != std::string::npos);
    // x and y alternate: neither row is one solid bar.
    CHECK(chart.find("x     ##..##..##\n") != std::string::npos);
    CHECK(chart.find("y       ##..##..##\n") != std::string::npos);
}

TEST_CASE("timeline of an empty record says so") {
    VirtualClock clock;
    Tracer t(clock);
    t.keep_events(true);
    CHECK(t.timeline().find("no scheduler events") != std::string::npos);
}

TEST_CASE("Chrome trace JSON is valid JSON, with one track per task and a slice per run") {
    VirtualClock clock;
    Tracer t(clock);
    t.keep_events(true);
    t.resume("task \"one\"");          // a name that needs escaping
    clock.advance(seconds(0.001));
    t.suspend("task \"one\"", "Read(fd=3)\n");
    t.io_ready("task \"one\"", "fd 3");
    t.resume("task \"one\"");
    t.done("task \"one\"", "result");
    const std::string json = t.chrome_json();
    INFO(json);
    CHECK(JsonValidator::valid(json));
    CHECK(json.find(R"("ph":"M")") != std::string::npos);
    CHECK(json.find(R"("name":"run","ph":"X","pid":1,"tid":1,"ts":0.000,"dur":1000.000)") != std::string::npos);
    CHECK(json.find(R"("name":"io-ready","ph":"i")") != std::string::npos);
    CHECK(json.find(R"(task \"one\")") != std::string::npos);
}

TEST_CASE("the JSON validator itself rejects what is not JSON") {
    CHECK(JsonValidator::valid(R"({"a":[1,2.5,-3e2,true,false,null,"x\n"]})"));
    CHECK_FALSE(JsonValidator::valid(R"({"a":1,})"));
    CHECK_FALSE(JsonValidator::valid(R"({"a":01})"));
    CHECK_FALSE(JsonValidator::valid("{\"a\":\"\x01\"}"));
    CHECK_FALSE(JsonValidator::valid(R"([1] [2])"));
    CHECK(json_escape("a\"b\\c\n\x02") == "a\\\"b\\\\c\\n\\u0002");
}

TEST_CASE("the Events axis counts events even when clock time passed") {
    VirtualClock clock;
    Tracer t(clock);
    t.keep_events(true);
    t.set_axis(TraceAxis::Events);
    t.resume("x");
    clock.advance(seconds(100));
    t.suspend("x", "yield");
    t.resume("x");
    t.done("x");
    const std::string chart = t.timeline(10);
    INFO(chart);
    CHECK(chart.find("4 events in order") != std::string::npos);
    CHECK(chart.find("x     ####..####\n") != std::string::npos);
    CHECK(t.chrome_json().find(R"("ts":2.000,"dur":1.000)") != std::string::npos);   // the second run: events 2 to 3
}
