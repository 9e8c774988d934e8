// Stage 08's EpollSelector: registrations stay in step with the loop's add/remove calls, readiness is
// level-triggered like select()'s, and an fd closed while registered gives an error naming epoll_ctl
// and leaves nothing behind, in the selector or in the loop.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <system_error>

#include "looplab/fd.hpp"
#include "run.hpp"

using namespace looplab;

TEST_CASE("epoll: added, modified, removed: size() and the events follow each call") {
    EpollSelector s;
    Pipe p = make_pipe();
    const int r = p.read.get(), w = p.write.get();
    s.set_interest(r, true, false);
    s.set_interest(w, false, true);
    CHECK(s.size() == 2);
    auto ready = s.select(Duration{0});
    REQUIRE(ready.size() == 1);   // an empty pipe: only the write end is ready
    CHECK(ready[0].fd == w);
    CHECK(ready[0].writable);
    CHECK_FALSE(ready[0].readable);
    REQUIRE(::write(w, "x", 1) == 1);
    ready = s.select(Duration{0});
    REQUIRE(ready.size() == 2);
    CHECK(ready[0].fd == r);   // in fd order, as select() reports them
    CHECK(ready[0].readable);
    // Level-triggered: unread data is reported again, and again.
    CHECK(s.select(Duration{0}).size() == 2);
    s.set_interest(w, false, false);   // removed
    CHECK(s.size() == 1);
    ready = s.select(Duration{0});
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].fd == r);
    s.set_interest(r, true, true);   // modified: a pipe's read end is never writable
    ready = s.select(Duration{0});
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].readable);
    CHECK_FALSE(ready[0].writable);
    s.set_interest(r, false, false);
    CHECK(s.size() == 0);
    s.set_interest(r, false, false);   // forgetting an unknown fd: nothing to do
    CHECK(s.select(Duration{0}).empty());
}

TEST_CASE("epoll: the timeout is honoured, rounded up, and nothing ready is an empty answer") {
    EpollSelector s;
    Pipe p = make_pipe();
    s.set_interest(p.read.get(), true, false);
    const auto start = std::chrono::steady_clock::now();
    CHECK(s.select(std::chrono::microseconds(300)).empty());   // 0.3 ms rounds up to 1 ms, never down to 0
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::microseconds(300));
}

TEST_CASE("epoll: no FD_SETSIZE limit; a negative fd and a regular file are refused, naming the call") {
    EpollSelector s;
    Pipe p = make_pipe();
    UniqueFd high(check(::fcntl(p.read.get(), F_DUPFD_CLOEXEC, FD_SETSIZE + 100), "fcntl(F_DUPFD)"));
    s.set_interest(high.get(), true, false);
    REQUIRE(::write(p.write.get(), "x", 1) == 1);
    auto ready = s.select(Duration{0});
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].fd == high.get());
    CHECK_THROWS_AS(s.set_interest(-1, true, false), std::invalid_argument);
    std::FILE* file = std::tmpfile();
    REQUIRE(file != nullptr);
    CHECK_THROWS_WITH_AS(s.set_interest(::fileno(file), true, false), doctest::Contains("epoll_ctl(EPOLL_CTL_ADD"),
                         std::system_error);
    std::fclose(file);
    CHECK(s.size() == 1);   // the refused fd left nothing behind
    CHECK_THROWS_WITH_AS(s.set_interest(12345, true, false), doctest::Contains("epoll_ctl(EPOLL_CTL_ADD, fd 12345)"),
                         std::system_error);
    CHECK(s.size() == 1);
}

TEST_CASE("epoll: an fd closed while registered: the removal names epoll_ctl, and nothing is left behind") {
    VirtualClock clock;
    EventLoop loop(clock, std::make_unique<EpollSelector>());
    Pipe keep = make_pipe();   // keeps the loop from having nothing to wait for
    int fd;
    int runs = 0;
    {
        Pipe p = make_pipe();
        fd = p.read.get();
        loop.add_reader(fd, [&runs] { ++runs; });
        REQUIRE(::write(p.write.get(), "x", 1) == 1);
    }   // both ends closed, the read end still registered: the kernel drops it from epoll's list
    loop.call_later(seconds(1), [] {});
    loop.call_later(seconds(2), [] {});   // without a timer, the loop would now wait forever: nothing can wake it
    loop.run_once();
    loop.run_once();
    CHECK(runs == 0);   // silently: epoll no longer knows the fd, so its callback never runs
    const std::string expected = "epoll_ctl(EPOLL_CTL_DEL, fd " + std::to_string(fd) + ")";
    CHECK_THROWS_WITH_AS(loop.remove_reader(fd), doctest::Contains(expected.c_str()), std::system_error);
    CHECK_FALSE(loop.remove_reader(fd));   // the loop forgot it
    // ... and so did the selector: the fd number can be watched again (here by a new pipe that reuses it).
    Pipe again = make_pipe();
    REQUIRE(again.read.get() == fd);
    loop.add_reader(again.read.get(), [&runs] { ++runs; });
    REQUIRE(::write(again.write.get(), "x", 1) == 1);
    loop.run_once();
    CHECK(runs == 1);
    CHECK(loop.remove_reader(again.read.get()));
}

TEST_CASE("epoll: closing the loop after the program closed a registered fd is no error") {
    VirtualClock clock;
    auto loop = std::make_unique<EventLoop>(clock, std::make_unique<EpollSelector>());
    {
        Pipe p = make_pipe();
        loop->add_reader(p.read.get(), [] {});
        loop->add_writer(p.write.get(), [] {});
    }
    CHECK_NOTHROW(loop->close());
}

TEST_CASE("epoll and select: one program, the same callbacks in the same order") {
    for (SelectorKind kind : {SelectorKind::select, SelectorKind::epoll}) {
        CAPTURE(selector_name(kind));
        VirtualClock clock;
        EventLoop loop(clock, make_selector(kind));
        Pipe a = make_pipe(), b = make_pipe();
        std::string log;
        loop.add_reader(b.read.get(), [&] { log += "b"; char c; REQUIRE(::read(b.read.get(), &c, 1) == 1); });
        loop.add_reader(a.read.get(), [&] { log += "a"; char c; REQUIRE(::read(a.read.get(), &c, 1) == 1); });
        loop.add_writer(a.write.get(), [&] { log += "w"; loop.remove_writer(a.write.get()); });
        REQUIRE(::write(b.write.get(), "1", 1) == 1);
        REQUIRE(::write(a.write.get(), "2", 1) == 1);
        loop.run_once();
        CHECK(log == "awb");   // in fd order: a's two ends were made first, then b's
        loop.remove_reader(a.read.get());
        loop.remove_reader(b.read.get());
    }
}
