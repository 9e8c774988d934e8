// Stage 08's conformance tests, and this file (its name matches *conformance*), run twice
// (tests/CMakeLists.txt): as stage08/ on the default selector,
// epoll, and as stage08-select/ with LOOPLAB_TEST_SELECTOR=select in the environment. This file sets
// the default before any test runs, and checks that the choice took effect.
#include <doctest/doctest.h>

#include <fcntl.h>

#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "looplab/fd.hpp"
#include "run.hpp"

using namespace looplab;

namespace {
const bool selector_chosen = [] {
    const char* kind = std::getenv("LOOPLAB_TEST_SELECTOR");
    if (kind != nullptr && std::string_view(kind) == "select") default_selector_kind = SelectorKind::select;
    return true;
}();
} // namespace

TEST_CASE("conformance selector: the loops of this run use the selector LOOPLAB_TEST_SELECTOR names") {
    REQUIRE(selector_chosen);
    // An fd numbered above FD_SETSIZE tells the two apart: select() refuses it, epoll watches it.
    Pipe p = make_pipe();
    UniqueFd high(check(::fcntl(p.read.get(), F_DUPFD_CLOEXEC, FD_SETSIZE + 100), "fcntl(F_DUPFD)"));
    VirtualClock clock;
    EventLoop loop(clock);
    if (default_selector_kind == SelectorKind::select) {
        CHECK_THROWS_AS(loop.add_reader(high.get(), [] {}), std::invalid_argument);
    } else {
        loop.add_reader(high.get(), [] {});
        CHECK(loop.remove_reader(high.get()));
    }
}
