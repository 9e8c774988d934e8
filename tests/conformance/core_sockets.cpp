// sock_recv (C49), the one socket operation of the core, and its error paths. Compiled against stage
// 05 and every later stage. Socketpairs and loopback TCP only, on the virtual clock (nobody sleeps:
// the loop waits in select() only for bytes that another task of the same loop sends).
#include <doctest/doctest.h>

#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <vector>

#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "sockets.hpp"
#include "conformance/helpers.hpp"
#include "support/socket_rig.hpp"

using namespace looplab;
using looplab::testing::nonblocking_pair;
using looplab::testing::pattern;
using conformance_test::error_of;
using conformance_test::events;
using conformance_test::FrameCheck;
using conformance_test::LoopFixture;
using conformance_test::TracedLoop;

TEST_CASE("C49 sock_recv tries at once and waits only on EAGAIN - empty at end of file - cancelling removes the reader") {
    const FrameCheck frames;
    TracedLoop f;
    auto [a, b] = nonblocking_pair();

    SUBCASE("bytes already there: returned in the task's first step, without a reader or a Future") {
        check(::send(b.get(), "ready", 5, 0), "send");
        Task<std::string> t = f.loop.create_task(sock_recv(a.get(), 100), "reader");
        conformance_test::step(f.loop);
        REQUIRE(t.done());
        CHECK(t.result() == "ready");
        CHECK(events(f.trace, TraceKind::Note, "reader", "sock_recv: recv() says EAGAIN") == 0);
        CHECK(events(f.trace, TraceKind::Suspend, "reader", "") == 0);
    }
    SUBCASE("nothing there: EAGAIN, one reader, one suspension; the reader is gone afterwards") {
        Task<std::string> t = f.loop.create_task(sock_recv(a.get(), 100), "reader");
        conformance_test::step(f.loop);
        CHECK_FALSE(t.done());
        check(::send(b.get(), "late", 4, 0), "send");
        CHECK(f.loop.run_until_complete(Future<std::string>(t.state())) == "late");
        CHECK(events(f.trace, TraceKind::Note, "reader", "sock_recv: recv() says EAGAIN") == 1);
        CHECK(events(f.trace, TraceKind::Suspend, "reader", "sock_recv") == 1);
        CHECK(events(f.trace, TraceKind::IoReady, "sock_recv callback", "fd " + std::to_string(a.get()) + " readable") == 1);
        CHECK(events(f.trace, TraceKind::Note, "sock_recv", "call_soon(<Task reader>)") == 1);
        CHECK_FALSE(f.loop.remove_reader(a.get()));   // removed when the coroutine went on
    }
    SUBCASE("end of file is an empty string, whether it was there already or arrives later") {
        Task<std::string> t = f.loop.create_task(sock_recv(a.get(), 100), "reader");
        conformance_test::step(f.loop);
        b.reset();
        CHECK(f.loop.run_until_complete(Future<std::string>(t.state())).empty());
        CHECK(f.loop.run_until_complete(sock_recv(a.get(), 100)).empty());   // and again, at once
    }
    SUBCASE("cancelled while waiting: the reader is removed, and the socket can be read again") {
        Task<std::string> t = f.loop.create_task(sock_recv(a.get(), 100), "reader");
        conformance_test::step(f.loop);
        CHECK(t.cancel());
        conformance_test::step(f.loop);   // the task wakes with CancelledError and unwinds
        REQUIRE(t.done());
        CHECK(t.cancelled());
        CHECK_FALSE(f.loop.remove_reader(a.get()));
        check(::send(b.get(), "after", 5, 0), "send");
        CHECK(f.loop.run_until_complete(sock_recv(a.get(), 100)) == "after");
    }
    SUBCASE("a second reader added meanwhile replaces ours (C52), and our exit leaves it alone") {
        Task<std::string> t = f.loop.create_task(sock_recv(a.get(), 100), "reader");
        conformance_test::step(f.loop);
        int theirs = 0;
        f.loop.add_reader(a.get(), [&theirs] { ++theirs; }, "theirs");
        t.cancel();
        conformance_test::step(f.loop);
        REQUIRE(t.cancelled());
        CHECK(f.loop.remove_reader(a.get()));   // theirs was still registered
    }
    SUBCASE("n = 0 is refused: its empty answer would look like end of file") {
        CHECK_THROWS_AS(f.loop.run_until_complete(sock_recv(a.get(), 0)), std::invalid_argument);
    }
    f.loop.close();
    CHECK(f.reports.empty());
    CHECK(frames.alive() == 0);
}

TEST_CASE("sock_recv on a connection the peer reset raises ECONNRESET naming recv(fd N), at once or after waiting") {
    TracedLoop f;
    auto [client, server] = looplab::testing::tcp_pair();
    set_nonblocking(client.get());
    Task<std::string> t = f.loop.create_task(error_of(sock_recv(client.get(), 100)), "reader");
    conformance_test::step(f.loop);
    REQUIRE_FALSE(t.done());   // nothing there yet: it waits
    looplab::testing::reset_connection(server);
    const std::string e = f.loop.run_until_complete(Future<std::string>(t.state()));
    CHECK(e == std::to_string(ECONNRESET) + "|recv(fd " + std::to_string(client.get()) + "): Connection reset by peer");
}

TEST_CASE("sock_recv: debug mode refuses a blocking socket, as asyncio does") {
    LoopFixture f;
    f.loop.set_debug(true);
    auto [a, b] = make_socketpair();   // blocking
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(sock_recv(a.get(), 10)),
                         doctest::Contains("must be non-blocking"), std::invalid_argument);
    f.loop.set_debug(false);
    check(::send(b.get(), "x", 1, 0), "send");
    CHECK(f.loop.run_until_complete(sock_recv(a.get(), 10)) == "x");   // without debug mode: not checked
}
