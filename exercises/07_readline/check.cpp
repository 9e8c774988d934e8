// Exercise 07_readline: readuntil() and readline() over the StreamReader's buffer. Readers fed by hand
// (feed_data/feed_eof) as the connection's protocol would feed them, then one over a socketpair; a loop
// on the virtual clock.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/helpers.hpp"
#include "looplab/fd.hpp"
#include "streams.hpp"
#include "support/socket_rig.hpp"

using namespace looplab;
using conformance_test::LoopFixture;

namespace {
// Feeds `chunks` one per iteration, as data arriving from the network would come.
Coroutine<void> feed(StreamReader reader, std::vector<std::string> chunks, bool eof) {
    for (const std::string& c : chunks) {
        co_await sleep(0);
        reader.feed_data(c);
    }
    co_await sleep(0);
    if (eof) reader.feed_eof();
}

Coroutine<std::vector<std::string>> all_lines(StreamReader reader) {
    std::vector<std::string> lines;
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) co_return lines;
        lines.push_back(line);
    }
}

Coroutine<std::vector<std::string>> lines_from(std::vector<std::string> chunks, bool eof) {
    StreamReader reader;
    Task<void> feeder = create_task(feed(reader, std::move(chunks), eof), "feeder");
    std::vector<std::string> lines = co_await all_lines(reader);
    co_await feeder;
    co_return lines;
}

Coroutine<std::string> read_line(StreamReader r) { co_return co_await r.readline(); }
Coroutine<std::string> read_until(StreamReader r, std::string sep) { co_return co_await r.readuntil(sep); }
} // namespace

TEST_CASE("a line that is buffered already comes back at once, with its newline" *
          doctest::description("find the separator in s->buffer() and return s->take(position + separator size): "
                               "take() removes those bytes from the buffer")) {
    LoopFixture f;
    StreamReader r;
    r.feed_data("first\nsecond\n");
    CHECK(f.loop.run_until_complete(read_line(r)) == "first\n");
    CHECK(r.buffered() == 7);
    CHECK(f.loop.run_until_complete(read_line(r)) == "second\n");
}

TEST_CASE("a line cut across chunks waits for the rest; a chunk may hold several lines" *
          doctest::description("no separator yet: co_await StreamState::wait_for_data(s, \"readuntil\"), then look "
                               "again; loop until it is there")) {
    LoopFixture f;
    const auto lines = f.loop.run_until_complete(lines_from({"hel", "lo\nwor", "ld\nthird\nfou", "rth\n"}, true));
    CHECK(lines == std::vector<std::string>{"hello\n", "world\n", "third\n", "fourth\n"});
}

TEST_CASE("a separator of several bytes may straddle two chunks" *
          doctest::description("when you search again after a wait, start seplen - 1 bytes before the old end of the "
                               "buffer, not at it: \"\\r\" may end one chunk and \"\\n\" begin the next")) {
    LoopFixture f;
    StreamReader r;
    Task<void> feeder = f.loop.create_task(feed(r, {"abc\r", "\ndef\r\n"}, false));
    CHECK(f.loop.run_until_complete(read_until(r, "\r\n")) == "abc\r\n");
    CHECK(f.loop.run_until_complete(read_until(r, "\r\n")) == "def\r\n");
}

TEST_CASE("at the end of the stream: the partial last line, then empty strings" *
          doctest::description("s->eof() and no separator: throw IncompleteReadError(s->take(s->buffered()), "
                               "std::nullopt); readline() turns it into the partial line")) {
    LoopFixture f;
    const auto lines = f.loop.run_until_complete(lines_from({"one\ntwo"}, true));
    CHECK(lines == std::vector<std::string>{"one\n", "two"});
    StreamReader r;
    r.feed_data("tail");
    r.feed_eof();
    auto until = [](StreamReader rd) -> Coroutine<std::string> {
        try {
            co_await rd.readuntil("\n");
        } catch (const IncompleteReadError& e) {
            co_return "incomplete: " + e.partial();
        }
        co_return "no error";
    };
    CHECK(f.loop.run_until_complete(until(r)) == "incomplete: tail");
    CHECK(r.buffered() == 0);
}

TEST_CASE("a line longer than the limit is an error, and the next line still reads" *
          doctest::description("once `offset` (where the next search starts) passes s->limit(), throw "
                               "LimitOverrunError(message, offset); and a separator found past the limit is an "
                               "overrun too: LimitOverrunError(message, position)")) {
    LoopFixture f;
    StreamReader exact(8);
    exact.feed_data("12345678\nnext\n");
    CHECK(f.loop.run_until_complete(read_line(exact)) == "12345678\n");   // the limit counts the line without its \n
    StreamReader r(8);
    r.feed_data("123456789\nnext\n");
    CHECK_THROWS_AS(f.loop.run_until_complete(read_line(r)), std::invalid_argument);
    CHECK(f.loop.run_until_complete(read_line(r)) == "next\n");
}

TEST_CASE("no separator within the limit: readuntil raises LimitOverrunError and keeps the bytes" *
          doctest::description("do not take() anything before throwing LimitOverrunError: the caller decides what "
                               "to drop")) {
    LoopFixture f;
    StreamReader r(8);
    r.feed_data("0123456789abcdef");
    auto until = [](StreamReader rd) -> Coroutine<std::size_t> {
        try {
            co_await rd.readuntil("\n");
        } catch (const LimitOverrunError& e) {
            co_return e.consumed();
        }
        co_return 0;
    };
    CHECK(f.loop.run_until_complete(until(r)) > 8);
    CHECK(r.buffered() == 16);
}

TEST_CASE("an error stored in the stream is raised, and an empty separator is refused" *
          doctest::description("s->rethrow_error() first thing, and again after every wait; an empty separator is "
                               "std::invalid_argument")) {
    LoopFixture f;
    StreamReader r;
    r.feed_data("not a whole line");
    r.set_exception(std::make_exception_ptr(std::runtime_error("connection reset")));
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(read_line(r)), "connection reset", std::runtime_error);
    StreamReader ok;
    ok.feed_data("x\n");
    CHECK_THROWS_AS(f.loop.run_until_complete(read_until(ok, "")), std::invalid_argument);
    // An error that arrives while readline waits wakes it with that error.
    StreamReader waiting;
    Task<std::string> t = f.loop.create_task(read_line(waiting));
    conformance_test::step(f.loop);
    waiting.set_exception(std::make_exception_ptr(std::runtime_error("late failure")));
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(Future<std::string>(t)), "late failure", std::runtime_error);
}

TEST_CASE("over a socketpair: the peer's writes arrive in pieces, readline puts them together" *
          doctest::description("the transport feeds the reader chunk by chunk; if the hand-fed checks pass, so "
                               "should this")) {
    LoopFixture f;
    auto [a, b] = looplab::testing::nonblocking_pair();
    auto run = [](int fd, UniqueFd* peer) -> Coroutine<std::vector<std::string>> {
        Streams s = make_streams(UniqueFd(fd));
        Task<void> writer = create_task([](UniqueFd* p) -> Coroutine<void> {
            for (const char* piece : {"first li", "ne\nsecond", " line\n", "no newline"}) {
                co_await sleep(0.1);
                co_await sock_sendall(p->get(), piece);
            }
            p->reset();
        }(peer), "peer");
        std::vector<std::string> lines = co_await all_lines(s.reader);
        co_await writer;
        co_return lines;
    };
    const auto lines = f.loop.run_until_complete(run(a.release(), &b));
    CHECK(lines == std::vector<std::string>{"first line\n", "second line\n", "no newline"});
    CHECK(f.loop.time() == seconds(0.4));
}
