// Stage 07 on: streams.hpp: StreamReader (C46-C48) fed by hand and over socketpairs, StreamWriter with
// its high-water mark, open_connection and start_server on the loopback, and their error paths.
// Virtual clock throughout; nothing sleeps.
#include <doctest/doctest.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <vector>

#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "conformance/helpers.hpp"
#include "streams.hpp"
#include "support/socket_rig.hpp"

using namespace looplab;
using looplab::testing::nonblocking_pair;
using looplab::testing::pattern;
using conformance_test::FrameCheck;
using conformance_test::LoopFixture;
using conformance_test::step;

namespace {
// Feeds `chunks` one per loop iteration, then the end of the stream.
Coroutine<void> feed(StreamReader reader, std::vector<std::string> chunks, bool eof) {
    for (const std::string& c : chunks) {
        co_await sleep(0);
        reader.feed_data(c);
    }
    co_await sleep(0);
    if (eof) reader.feed_eof();
}

// Every line until the end of the stream.
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
} // namespace

TEST_CASE("C46 readline returns the line with its newline, waiting across chunks - at end of file the partial line, then empty") {
    LoopFixture f;
    SUBCASE("lines split across chunks, and several lines in one chunk") {
        const auto lines = f.loop.run_until_complete(lines_from({"hel", "lo\nwor", "ld\nthird\nfou", "rth\n"}, true));
        CHECK(lines == std::vector<std::string>{"hello\n", "world\n", "third\n", "fourth\n"});
    }
    SUBCASE("a last line without \\n comes back as it is, then empty lines for ever") {
        const auto lines = f.loop.run_until_complete(lines_from({"one\ntwo"}, true));
        CHECK(lines == std::vector<std::string>{"one\n", "two"});
    }
    SUBCASE("over a socketpair: the peer's writes arrive in pieces, readline puts them together") {
        auto [a, b] = nonblocking_pair();
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
    CHECK(f.reports.empty());
}

TEST_CASE("C47 a line longer than the limit raises an error - the limit counts the line without its separator") {
    LoopFixture f;
    auto read_line = [](StreamReader r) -> Coroutine<std::string> { co_return co_await r.readline(); };
    SUBCASE("exactly `limit` bytes before the \\n: accepted") {
        StreamReader r(8);
        r.feed_data("12345678\nnext\n");
        CHECK(f.loop.run_until_complete(read_line(r)) == "12345678\n");
    }
    SUBCASE("one byte more: readline raises std::invalid_argument, drops that line, and the next one reads") {
        StreamReader r(8);
        r.feed_data("123456789\nnext\n");
        CHECK_THROWS_AS(f.loop.run_until_complete(read_line(r)), std::invalid_argument);
        CHECK(f.loop.run_until_complete(read_line(r)) == "next\n");
    }
    SUBCASE("no separator within the limit: readuntil raises LimitOverrunError and keeps the bytes") {
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
    SUBCASE("the default limit is 64 KiB") {
        StreamReader r;
        CHECK(r.limit() == 64 * 1024);
        r.feed_data(std::string(64 * 1024, 'x') + "\n");
        CHECK(f.loop.run_until_complete(read_line(r)).size() == 64 * 1024 + 1);
        r.feed_data(std::string(64 * 1024 + 1, 'y') + "\n");
        CHECK_THROWS_AS(f.loop.run_until_complete(read_line(r)), std::invalid_argument);
    }
    SUBCASE("a limit of 0 is refused") {
        CHECK_THROWS_AS(StreamReader(0), std::invalid_argument);
    }
}

TEST_CASE("C48 readexactly at EOF raises IncompleteReadError with the partial data - read(n) returns what is there - read(0) is empty") {
    LoopFixture f;
    SUBCASE("readexactly waits across chunks for all n bytes") {
        auto run = []() -> Coroutine<std::string> {
            StreamReader r;
            Task<void> feeder = create_task(feed(r, {"ab", "cd", "efgh"}, false), "feeder");
            std::string got = co_await r.readexactly(5);
            co_await feeder;
            co_return got + "|" + std::to_string(r.buffered());
        };
        CHECK(f.loop.run_until_complete(run()) == "abcde|3");
    }
    SUBCASE("the stream ends first: IncompleteReadError holding what arrived, and how much was expected") {
        auto run = []() -> Coroutine<std::string> {
            StreamReader r;
            Task<void> feeder = create_task(feed(r, {"abc"}, true), "feeder");
            std::string caught;
            try {
                co_await r.readexactly(10);
            } catch (const IncompleteReadError& e) {
                caught = e.partial() + "|" + std::to_string(e.expected().value_or(0)) + "|" + e.what();
            }
            co_await feeder;
            co_return caught;
        };
        CHECK(f.loop.run_until_complete(run()) == "abc|10|3 bytes read on a total of 10 expected bytes");
    }
    SUBCASE("read(n) returns as soon as one byte is there, at most n; read(0) is empty at once; read() reads to the end") {
        auto run = []() -> Coroutine<std::vector<std::string>> {
            StreamReader r;
            std::vector<std::string> got;
            got.push_back(co_await r.read(0));   // nothing there, and it does not wait
            Task<void> feeder = create_task(feed(r, {"x", "yz", "tail"}, true), "feeder");
            got.push_back(co_await r.read(100));   // the first chunk alone
            got.push_back(co_await r.read(1));
            got.push_back(co_await r.read());      // everything else, until the end
            got.push_back(co_await r.read(5));     // at the end: empty
            co_await feeder;
            co_return got;
        };
        CHECK(f.loop.run_until_complete(run()) == std::vector<std::string>{"", "x", "y", "ztail", ""});
    }
    SUBCASE("readuntil at the end of the stream: IncompleteReadError without an expected size") {
        StreamReader r;
        r.feed_data("no end");
        r.feed_eof();
        auto run = [](StreamReader rd) -> Coroutine<std::string> {
            try {
                co_await rd.readuntil("\r\n");
            } catch (const IncompleteReadError& e) {
                co_return e.partial() + (e.expected() ? "|sized" : "|unsized");
            }
            co_return "";
        };
        CHECK(f.loop.run_until_complete(run(r)) == "no end|unsized");
        CHECK(r.at_eof());
    }
}

TEST_CASE("StreamReader: one waiter at a time, errors raised by every read, feed_data after feed_eof is an error") {
    LoopFixture f;
    SUBCASE("a second coroutine waiting for data is a RuntimeError") {
        auto run = []() -> Coroutine<bool> {
            StreamReader r;
            Task<std::string> first = create_task(r.readline(), "first");
            co_await sleep(0);
            bool refused = false;
            try {
                co_await r.readline();
            } catch (const RuntimeError&) {
                refused = true;
            }
            r.feed_data("ok\n");
            const std::string line = co_await first;
            co_return refused && line == "ok\n";
        };
        CHECK(f.loop.run_until_complete(run()));
    }
    SUBCASE("set_exception wakes the waiter with it, and every later read raises it, even with bytes buffered") {
        auto run = []() -> Coroutine<int> {
            StreamReader r;
            Task<std::string> waiting = create_task(r.readline(), "waiting");
            co_await sleep(0);
            r.feed_data("partial");
            r.set_exception(std::make_exception_ptr(std::system_error(ECONNRESET, std::generic_category(), "recv")));
            int raised = 0;
            try {
                co_await waiting;
            } catch (const std::system_error&) {
                ++raised;
            }
            try {
                co_await r.read(1);
            } catch (const std::system_error&) {
                ++raised;
            }
            co_return raised;
        };
        CHECK(f.loop.run_until_complete(run()) == 2);
    }
    SUBCASE("feed_data after feed_eof, and an empty separator, are errors") {
        StreamReader r;
        r.feed_eof();
        CHECK_THROWS_AS(r.feed_data("late"), InvalidStateError);
        CHECK_THROWS_AS(f.loop.run_until_complete(r.readuntil("")), std::invalid_argument);
    }
}

namespace {
// Writes `total` bytes in 8 KiB writes, draining after each; records the largest buffer it saw.
Coroutine<std::size_t> write_and_drain(StreamWriter w, std::size_t total) {
    std::size_t largest = 0;
    const std::string block = pattern(8192);
    for (std::size_t sent = 0; sent < total; sent += block.size()) {
        w.write(block);
        largest = std::max(largest, w.write_buffer_size());
        co_await w.drain();
        // drain() returned: the buffer is at or below the high-water mark.
        if (w.write_buffer_size() > detail::StreamState::high_water) co_return 0;
    }
    w.close();
    co_await w.wait_closed();
    co_return largest;
}

Coroutine<std::size_t> read_slowly(StreamReader r) {
    std::size_t total = 0;
    while (true) {
        co_await sleep(0.01);
        std::string part = co_await r.read(4096);
        if (part.empty()) co_return total;
        total += part.size();
    }
}
} // namespace

TEST_CASE("StreamWriter: write never waits, drain waits above the high-water mark, close sends what is buffered") {
    const FrameCheck frames;
    LoopFixture f;
    {
        auto [a, b] = nonblocking_pair();
        looplab::testing::tiny_buffers(a.get(), b.get());
        auto run = [](int wfd, int rfd) -> Coroutine<std::pair<std::size_t, std::size_t>> {
            Streams w = make_streams(UniqueFd(wfd));
            Streams r = make_streams(UniqueFd(rfd));
            Task<std::size_t> reader = create_task(read_slowly(r.reader), "reader");
            const std::size_t largest = co_await write_and_drain(w.writer, 1 << 20);
            const std::size_t received = co_await reader;
            co_return std::pair{largest, received};
        };
        const auto [largest, received] = f.loop.run_until_complete(run(a.release(), b.release()));
        CHECK(received == (1u << 20));   // close() sent everything that was buffered, then closed
        CHECK(largest > detail::StreamState::high_water);   // the buffer did fill: drain had to wait
        CHECK(largest <= detail::StreamState::high_water + 8192);
    }
    f.loop.close();
    CHECK(f.reports.empty());
    CHECK(frames.alive() == 0);
}

TEST_CASE("StreamWriter: write after close or write_eof is an error - a reset reaches drain, wait_closed and the reader") {
    LoopFixture f;
    SUBCASE("write after close, write after write_eof") {
        auto run = []() -> Coroutine<int> {
            auto [a, b] = nonblocking_pair();
            Streams s = make_streams(std::move(a));
            int refused = 0;
            s.writer.write_eof();
            try {
                s.writer.write("x");
            } catch (const RuntimeError&) {
                ++refused;
            }
            s.writer.close();
            CHECK(s.writer.is_closing());
            try {
                s.writer.write("x");
            } catch (const RuntimeError&) {
                ++refused;
            }
            co_await s.writer.wait_closed();
            co_return refused;
        };
        CHECK(f.loop.run_until_complete(run()) == 2);
    }
    SUBCASE("the peer resets: the reader raises ECONNRESET naming recv, so do drain and wait_closed") {
        auto [client, server] = looplab::testing::tcp_pair();
        set_nonblocking(client.get());
        auto run = [](int fd, UniqueFd* peer) -> Coroutine<int> {
            Streams s = make_streams(UniqueFd(fd));
            Task<std::string> waiting = create_task(s.reader.readline(), "reader");
            co_await sleep(0.1);
            looplab::testing::reset_connection(*peer);
            int raised = 0;
            try {
                co_await waiting;
            } catch (const std::system_error& e) {
                raised += e.code().value() == ECONNRESET && std::string(e.what()).rfind("recv(fd ", 0) == 0;
            }
            try {
                co_await s.writer.drain();
            } catch (const std::system_error& e) {
                raised += e.code().value() == ECONNRESET;
            }
            try {
                co_await s.writer.wait_closed();
            } catch (const std::system_error& e) {
                raised += e.code().value() == ECONNRESET;
            }
            s.writer.write("dropped, not raised");
            co_return raised;
        };
        CHECK(f.loop.run_until_complete(run(client.release(), &server)) == 3);
    }
    CHECK(f.reports.empty());
}

TEST_CASE("StreamReader: flow control stops reading past twice the limit and resumes below the limit") {
    LoopFixture f;
    auto [a, b] = nonblocking_pair();
    auto run = [](int fd, UniqueFd* peer) -> Coroutine<bool> {
        Streams s = make_streams(UniqueFd(fd), 1024);
        // The peer writes 64 KiB while nobody reads: the reader must stop at about 2 x 1 KiB (one
        // recv() of up to 64 KiB may take it past that once).
        co_await sock_sendall(peer->get(), pattern(64 * 1024));
        for (int i = 0; i < 5; ++i) co_await sleep(0);
        const bool paused = s.reader.reading_paused();
        std::string all = co_await s.reader.readexactly(64 * 1024);
        co_return paused && !s.reader.reading_paused() && all == pattern(64 * 1024);
    };
    CHECK(f.loop.run_until_complete(run(a.release(), &b)));
}

namespace {
Coroutine<void> echo_lines(StreamReader reader, StreamWriter writer) {
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;
        if (line == "boom\n") throw std::runtime_error("the handler failed");
        writer.write("echo: " + line);
        co_await writer.drain();
    }
    writer.close();
}

Coroutine<std::string> talk(sockaddr_in to, std::vector<std::string> lines) {
    auto [reader, writer] = co_await open_connection(to);
    std::string heard;
    for (const std::string& l : lines) {
        writer.write(l);
        co_await writer.drain();
        heard += co_await reader.readline();
    }
    writer.write_eof();
    heard += co_await reader.read();   // the server closes after our end of file: ""
    writer.close();
    co_await writer.wait_closed();
    co_return heard;
}

Coroutine<std::string> serve_and_talk(int clients) {
    Server server = co_await start_server(echo_lines);
    std::vector<Task<std::string>> talks;
    for (int i = 0; i < clients; ++i)
        talks.push_back(create_task(talk(server.address(), {"hello " + std::to_string(i) + "\n", "bye\n"})));
    std::string all;
    for (auto& t : talks) all += co_await t;
    CHECK(server.stats().accepted == static_cast<std::uint64_t>(clients));
    CHECK(server.stats().peak >= 1);
    server.close();
    CHECK_FALSE(server.is_serving());
    co_await server.wait_closed();   // every handler has returned
    CHECK(server.stats().open == 0);
    co_return all;
}
} // namespace

TEST_CASE("start_server and open_connection: a line echo server on the loopback, several clients, wait_closed") {
    const FrameCheck frames;
    LoopFixture f;
    const std::string all = f.loop.run_until_complete(serve_and_talk(3));
    CHECK(all == "echo: hello 0\necho: bye\necho: hello 1\necho: bye\necho: hello 2\necho: bye\n");
    f.loop.close();
    CHECK(f.reports.empty());
    CHECK(frames.alive() == 0);
}

TEST_CASE("start_server: a handler's exception is reported and closes only its own connection") {
    LoopFixture f;
    auto run = []() -> Coroutine<std::string> {
        Server server = co_await start_server(echo_lines);
        auto [r1, w1] = co_await open_connection(server.address());
        auto [r2, w2] = co_await open_connection(server.address());
        w1.write("boom\n");
        const std::string closed = co_await r1.read();   // its connection is closed: end of file
        w2.write("still here\n");
        const std::string line = co_await r2.readline();
        server.close();
        co_return "[" + closed + "]" + line;
    };
    CHECK(f.loop.run_until_complete(run()) == "[]echo: still here\n");
    CHECK(f.reported("Unhandled exception in client_connected_cb") == 1);
}

TEST_CASE("open_connection to a port nobody listens on raises ECONNREFUSED naming the address") {
    LoopFixture f;
    const sockaddr_in to = loopback_address(looplab::testing::unused_port());
    const std::string expected = "connect(" + looplab::to_string(to) + "): Connection refused";
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(open_connection(to)), expected.c_str(), std::system_error);
}

namespace {
// A client before, during and after the fd table is full; the one that connects while it is full.
struct Refusal {
    UniqueFd refused;   // made before the table is full, connected while it is full
    UniqueFd late;      // made before, connected once there is room again
    std::vector<UniqueFd> filler;
    bool to_fd_setsize = false;
    std::string first, during, after, refused_answer;
    int refused_error = 0;
};

Coroutine<void> refusal_scenario(Refusal* s) {
    Server server = co_await start_server(echo_lines);
    auto [reader, writer] = co_await open_connection(server.address());
    writer.write("before\n");
    s->first = co_await reader.readline();
    looplab::testing::fill_fd_table(&s->filler, s->to_fd_setsize);
    co_await sock_connect(s->refused.get(), server.address());   // the kernel completes the handshake; the server refuses
    try {
        s->refused_answer = co_await sock_recv(s->refused.get(), 100);   // closed by the server: end of file
    } catch (const std::system_error& e) {
        s->refused_error = e.code().value();   // or a reset, if the close raced our data: also a refusal
    }
    writer.write("during\n");
    s->during = co_await reader.readline();   // the open connection carries on
    s->filler.clear();
    co_await sock_connect(s->late.get(), server.address());
    Streams late = make_streams(std::move(s->late));
    late.writer.write("after\n");
    s->after = co_await late.reader.readline();
    CHECK(server.stats().refused == 1);
    CHECK(server.stats().accepted == 2);
    server.close();
}

// Runs the scenario and checks what both refusal tests expect; returns the one report's message.
std::string refused_once(bool to_fd_setsize) {
    LoopFixture f;
    Refusal s;
    s.to_fd_setsize = to_fd_setsize;
    for (UniqueFd* fd : {&s.refused, &s.late}) {
        *fd = tcp_socket();
        set_nonblocking(fd->get());
    }
    f.loop.run_until_complete(refusal_scenario(&s));
    CHECK(s.first == "echo: before\n");
    CHECK(s.refused_answer.empty());
    CHECK((s.refused_error == 0 || s.refused_error == ECONNRESET));
    CHECK(s.during == "echo: during\n");
    CHECK(s.after == "echo: after\n");
    REQUIRE(f.reports.size() == 1);
    return f.reports[0].message;
}
} // namespace

TEST_CASE("start_server: a connection that finds no fd left (EMFILE) is refused with a report, the others are served") {
    std::string message;
    {
        const looplab::testing::ScopedFdLimit limit(256, 0);   // fill 256 fds, not thousands
        message = refused_once(false);
    }
    CHECK(message.rfind("refused a connection: no file descriptor left (EMFILE)", 0) == 0);
}

TEST_CASE("start_server: a connection whose fd would be >= FD_SETSIZE is refused with a report, the others are served") {
    std::string message;
    {
        const looplab::testing::ScopedFdLimit limit(0, FD_SETSIZE + 64);   // fds above FD_SETSIZE must exist
        message = refused_once(true);
    }
    CHECK(message.rfind("refused a connection: its fd ", 0) == 0);
    CHECK(message.find("FD_SETSIZE (" + std::to_string(FD_SETSIZE) + ")") != std::string::npos);
}
