// common/cli: the shared options, demo selection and exit codes of every stage binary.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "looplab/cli.hpp"
#include "support/json.hpp"

using namespace looplab;

namespace {
// A stage with three demos that record what they saw.
struct Fixture {
    std::ostringstream out;
    std::vector<std::string> ran;
    std::string clock_seen;
    StageApp app{"99-test", "Stage 99: a test stage"};

    Fixture() {
        app.set_output(out);
        app.add({"alpha", "the first", [this](DemoContext& c) {
                     ran.push_back("alpha");
                     clock_seen = std::string(c.clock.name());
                     c.trace.resume("t");
                     c.clock.busy_for(seconds(1));
                     c.trace.done("t");
                     c.say.line("alpha output");
                 }});
        app.add({"beta", "the second", [this](DemoContext&) { ran.push_back("beta"); }, false});
        app.add({"broken", "fails", [this](DemoContext&) {
                     ran.push_back("broken");
                     throw std::runtime_error("it broke");
                 }});
        app.set_tour("beta");
    }
    int main(std::vector<const char*> args) {
        args.insert(args.begin(), "99-test");
        return app.main(static_cast<int>(args.size()), args.data());
    }
};
} // namespace

TEST_CASE("one demo by name, with a banner, on the clock asked for") {
    Fixture f;
    CHECK(f.main({"alpha", "--clock", "virtual", "--color", "never"}) == 0);
    CHECK(f.ran == std::vector<std::string>{"alpha"});
    CHECK(f.clock_seen == "virtual");
    CHECK(f.out.str().find("demo: alpha  --  the first") != std::string::npos);
    CHECK(f.out.str().find("alpha output") != std::string::npos);
}

TEST_CASE("the default clock is real") {
    Fixture f;
    CHECK(f.main({"beta"}) == 0);
    f.ran.clear();
    Fixture g;
    CHECK(g.main({"alpha", "--clock", "virtual"}) == 0);
    CHECK(g.app.options().clock == "virtual");
    CHECK(f.app.options().clock == "real");
}

TEST_CASE("no demo named: all run in order, and the first failure stops with exit code 1") {
    Fixture f;
    CHECK(f.main({"--clock", "virtual"}) == 1);
    CHECK(f.ran == std::vector<std::string>{"alpha", "beta", "broken"});
}

TEST_CASE("a bad command line exits 2: unknown demo, unknown option, bad clock, bad colour") {
    for (std::vector<const char*> args : {std::vector<const char*>{"gamma"}, {"--frobnicate"},
                                          {"--clock", "wall"}, {"--color", "sometimes"}, {"alpha", "beta"}}) {
        Fixture f;
        CHECK(f.main(args) == 2);
        CHECK(f.ran.empty());
    }
}

TEST_CASE("--help exits 0 without running anything") {
    Fixture f;
    CHECK(f.main({"--help"}) == 0);
    CHECK(f.ran.empty());
}

TEST_CASE("--list shows every demo, the tour's and the non-deterministic ones marked") {
    Fixture f;
    CHECK(f.main({"--list"}) == 0);
    CHECK(f.ran.empty());
    const std::string s = f.out.str();
    CHECK(s.find("alpha   the first\n") != std::string::npos);
    CHECK(s.find("beta    the second  [tour]  [not deterministic]\n") != std::string::npos);
}

TEST_CASE("plumbing flags: --list-golden and --tour-demo") {
    Fixture f;
    CHECK(f.main({"--list-golden"}) == 0);
    CHECK(f.out.str() == "alpha\nbroken\n");
    Fixture g;
    CHECK(g.main({"--tour-demo"}) == 0);
    CHECK(g.out.str() == "beta\n");
}

TEST_CASE("--quiet keeps the demo's results") {
    Fixture f;
    CHECK(f.main({"alpha", "--quiet", "--clock", "virtual"}) == 0);
    CHECK(f.out.str().find("alpha output") != std::string::npos);
}

TEST_CASE("--timeline draws the chart after the demo; --trace logs each event") {
    Fixture f;
    CHECK(f.main({"alpha", "--clock", "virtual", "--timeline", "--trace"}) == 0);
    const std::string s = f.out.str();
    CHECK(s.find("[trace 0.000s] resume    t") != std::string::npos);
    CHECK(s.find("[trace 1.000s] done      t") != std::string::npos);
    CHECK(s.find("timeline: 0.000s to 1.000s") != std::string::npos);
}

TEST_CASE("--trace-json writes valid JSON; with several demos, one file each") {
    const std::string path = "cli_test_trace.json";
    Fixture f;
    CHECK(f.main({"alpha", "--clock", "virtual", "--trace-json", path.c_str()}) == 0);
    std::ifstream in(path);
    REQUIRE(in);
    std::stringstream content;
    content << in.rdbuf();
    CHECK(looplab::testing::JsonValidator::valid(content.str()));
    CHECK(content.str().find("\"dur\":1000000.000") != std::string::npos);
    std::remove(path.c_str());

    Fixture g;
    CHECK(g.main({"--clock", "virtual", "--trace-json", path.c_str()}) == 1);   // broken fails last
    CHECK(std::ifstream("cli_test_trace.alpha.json").good());
    CHECK(std::ifstream("cli_test_trace.beta.json").good());
    std::remove("cli_test_trace.alpha.json");
    std::remove("cli_test_trace.beta.json");
}
