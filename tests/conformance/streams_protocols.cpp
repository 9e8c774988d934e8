// Stage 07 on: protocols.hpp, transports.hpp and servers.hpp: the push side, one test case per
// behaviour of asyncio's Protocol and selector socket transport (CPython 3.13's protocols.py,
// transports.py and selector_events.py), on socketpairs and the loopback, on the virtual clock.
//
// Conformance ids:
//   C57  connection_made comes first, from a callback of its own, before any data_received
//   C58  data_received gets every chunk, in order, until end of file
//   C59  eof_received: false closes the transport, true keeps it open for writing
//   C60  close() sends what is buffered, then connection_lost(none), exactly once, never inside close()
//   C61  a reset ends the connection with connection_lost(the error), exactly once, and no report
//   C62  abort() drops the buffer and calls connection_lost(none) once
//   C63  pause_writing above the high-water mark, resume_writing at the low-water mark, once each
//   C64  write after write_eof is a RuntimeError; after close or loss the bytes are dropped, unless
//        close() is still flushing, which sends them first
//   C65  pause_reading stops data_received until resume_reading
//   C66  an exception in data_received is reported and ends the connection with it
//   C67  create_server gives each connection a protocol; create_connection returns after connection_made
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <vector>

#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "servers.hpp"
#include "conformance/helpers.hpp"
#include "support/socket_rig.hpp"
#include "transports.hpp"

using namespace looplab;
using looplab::testing::nonblocking_pair;
using looplab::testing::pattern;
using conformance_test::LoopFixture;
using conformance_test::step;

namespace {
// A protocol that writes down what it is told, and can be told what to do.
struct Recorder final : Protocol {
    std::vector<std::string> events;   // "made", "data", "eof", "lost(none)", "lost(error)", "pause", "resume"
    std::string data;
    std::shared_ptr<Transport> transport;   // kept, so the test may still call it after connection_lost
    bool keep_open = false;
    int lost = 0;
    std::exception_ptr error;
    std::vector<std::size_t> buffered_at;   // the write buffer's size at each pause/resume
    std::function<void(Recorder&, std::string_view)> on_data;
    std::function<void(Recorder&)> on_eof;

    void connection_made(Transport& t) override {
        transport = t.shared_from_this();
        events.emplace_back("made");
    }
    void data_received(std::string_view d) override {
        if (events.empty() || events.back() != "data") events.emplace_back("data");   // a run of chunks: one entry
        data.append(d);
        if (on_data) on_data(*this, d);
    }
    bool eof_received() override {
        events.emplace_back("eof");
        if (on_eof) on_eof(*this);
        return keep_open;
    }
    void connection_lost(std::exception_ptr e) override {
        events.emplace_back(e ? "lost(error)" : "lost(none)");
        lost += 1;
        error = e;
    }
    void pause_writing() override {
        events.emplace_back("pause");
        buffered_at.push_back(transport->get_write_buffer_size());
    }
    void resume_writing() override {
        events.emplace_back("resume");
        buffered_at.push_back(transport->get_write_buffer_size());
    }
};

// Runs iterations until `done()` (at most `limit`); returns whether it came true.
bool spin(EventLoop& loop, const std::function<bool()>& done, int limit = 10000) {
    for (int i = 0; i < limit && !done(); ++i) step(loop);
    return done();
}

// Everything the peer socket `fd` can read now, and whether it saw end of file.
std::string drain_peer(int fd, bool* eof = nullptr) {
    std::string got;
    char buf[65536];
    while (true) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            got.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 && eof != nullptr) *eof = true;
        return got;
    }
}

void send_now(int fd, std::string_view s) { REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size())); }

// A transport under test on one end of a non-blocking socketpair, its protocol a Recorder; the test
// plays the peer on `b`. With tiny buffers the kernel takes little, so a write soon has to buffer.
// Set the Recorder up (or send early bytes) before start().
struct Rig {
    LoopFixture f;
    std::pair<UniqueFd, UniqueFd> sockets = nonblocking_pair();
    UniqueFd& b = sockets.second;
    std::shared_ptr<Recorder> p = std::make_shared<Recorder>();
    explicit Rig(bool tiny = false) {
        if (tiny) looplab::testing::tiny_buffers(sockets.first.get(), b.get());
    }
    void start() { SocketTransport::start(f.loop, std::move(sockets.first), p); }
};

using Events = std::vector<std::string>;
} // namespace

TEST_CASE("C57 connection_made comes first, from a callback of its own, before any data_received") {
    Rig rig;
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    send_now(b.get(), "early");   // already waiting when the transport starts
    std::shared_ptr<Recorder>& p = rig.p;
    rig.start();
    CHECK(p->events.empty());   // start() calls nothing itself
    step(f.loop);
    CHECK(p->events == Events{"made"});   // the first iteration: connection_made, then reading starts
    REQUIRE(spin(f.loop, [&] { return p->data == "early"; }));
    CHECK(p->events == Events{"made", "data"});
    p->transport->close();
    REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
    CHECK(f.reports.empty());
}

TEST_CASE("C58 data_received gets every chunk, in order, until end of file") {
    Rig rig;
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    std::shared_ptr<Recorder>& p = rig.p;
    rig.start();
    auto peer = [](UniqueFd* sock) -> Coroutine<void> {
        for (const char* piece : {"one ", "two ", "three "}) {
            co_await sleep(0.1);
            co_await sock_sendall(sock->get(), piece);
        }
        co_await sock_sendall(sock->get(), pattern(300 * 1024));   // more than one recv() takes
        sock->reset();                                               // end of file
    };
    int chunks = 0;
    p->on_data = [&chunks](Recorder&, std::string_view) { ++chunks; };
    f.loop.run_until_complete(peer(&b));
    REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
    CHECK(p->data == "one two three " + pattern(300 * 1024));
    CHECK(chunks >= 3 + 5);   // three pieces apart in time, then at least 300 KiB / 64 KiB reads
    CHECK(p->events == Events{"made", "data", "eof", "lost(none)"});
    CHECK(p->transport->is_closing());
}

TEST_CASE("C59 eof_received: false closes the transport, true keeps it open for writing") {
    LoopFixture f;
    auto sockets = nonblocking_pair();   // no structured binding: clang 14 lambdas cannot capture one
    UniqueFd& a = sockets.first;
    UniqueFd& b = sockets.second;
    auto p = std::make_shared<Recorder>();
    SUBCASE("false (the default): the transport closes, connection_lost(none) follows, the peer reads end of file") {
        SocketTransport::start(f.loop, std::move(a), p);
        send_now(b.get(), "last words");
        ::shutdown(b.get(), SHUT_WR);
        REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
        CHECK(p->events == Events{"made", "data", "eof", "lost(none)"});
        bool eof = false;
        CHECK(drain_peer(b.get(), &eof).empty());
        CHECK(eof);
    }
    SUBCASE("true: the protocol still writes after end of file, and the connection ends when it closes") {
        p->keep_open = true;
        p->on_eof = [](Recorder& r) { r.transport->write("answer after your EOF"); };
        SocketTransport::start(f.loop, std::move(a), p);
        ::shutdown(b.get(), SHUT_WR);
        REQUIRE(spin(f.loop, [&] { return !p->events.empty() && p->events.back() == "eof"; }));
        for (int i = 0; i < 10; ++i) step(f.loop);
        CHECK(p->lost == 0);
        CHECK_FALSE(p->transport->is_closing());
        CHECK(drain_peer(b.get()) == "answer after your EOF");
        p->transport->close();
        REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
        CHECK(p->events == Events{"made", "eof", "lost(none)"});
    }
    CHECK(f.reports.empty());
}

TEST_CASE("C60 close() sends what is buffered, then connection_lost(none), exactly once, never inside close()") {
    Rig rig(/*tiny=*/true);
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    std::shared_ptr<Recorder>& p = rig.p;
    rig.start();
    step(f.loop);
    SUBCASE("with bytes buffered: they all arrive, then end of file") {
        const std::string payload = pattern(256 * 1024);
        p->transport->write(payload);
        REQUIRE(p->transport->get_write_buffer_size() > 0);   // the tiny buffers could not take it all
        p->transport->close();
        CHECK(p->transport->is_closing());
        CHECK(p->lost == 0);
        std::string got;
        bool eof = false;
        REQUIRE(spin(f.loop, [&] {
            got += drain_peer(b.get(), &eof);
            return eof;
        }));
        CHECK(got == payload);
        CHECK(p->lost == 1);
    }
    SUBCASE("with nothing buffered: connection_lost in the next iteration") {
        p->transport->close();
        p->transport->close();   // idempotent
        CHECK(p->lost == 0);
        step(f.loop);
        CHECK(p->lost == 1);
    }
    for (int i = 0; i < 5; ++i) step(f.loop);
    CHECK(p->lost == 1);
    CHECK(p->events.back() == "lost(none)");
}

TEST_CASE("C61 a reset ends the connection with connection_lost(the error), exactly once, and no report") {
    LoopFixture f;
    auto [client, server] = looplab::testing::tcp_pair();
    set_nonblocking(client.get());
    auto p = std::make_shared<Recorder>();
    SocketTransport::start(f.loop, std::move(client), p);
    step(f.loop);
    looplab::testing::reset_connection(server);
    REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
    CHECK(p->events == Events{"made", "lost(error)"});
    try {
        std::rethrow_exception(p->error);
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == ECONNRESET);
        CHECK(std::string(e.what()).rfind("recv(fd ", 0) == 0);
    }
    CHECK(p->transport->is_closing());
    p->transport->write("into the void");   // dropped, not raised
    p->transport->close();
    for (int i = 0; i < 5; ++i) step(f.loop);
    CHECK(p->lost == 1);
    CHECK(f.reports.empty());   // an OS error is the peer's doing: the protocol hears it, nobody else
}

TEST_CASE("C62 abort() drops the buffer and calls connection_lost(none) once") {
    Rig rig(/*tiny=*/true);
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    std::shared_ptr<Recorder>& p = rig.p;
    rig.start();
    step(f.loop);
    p->transport->write(pattern(256 * 1024));
    REQUIRE(p->transport->get_write_buffer_size() > 0);
    p->transport->abort();
    CHECK(p->transport->get_write_buffer_size() == 0);
    CHECK(p->transport->is_closing());
    CHECK(p->lost == 0);
    step(f.loop);
    CHECK(p->lost == 1);
    CHECK(p->events.back() == "lost(none)");
    bool eof = false;
    const std::string got = drain_peer(b.get(), &eof);
    CHECK(eof);
    CHECK(got.size() < 256 * 1024);   // what the kernel had taken, not the rest
}

TEST_CASE("C63 pause_writing above the high-water mark, resume_writing at the low-water mark, once each") {
    Rig rig(/*tiny=*/true);
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    std::shared_ptr<Recorder>& p = rig.p;
    rig.start();
    step(f.loop);
    SUBCASE("the default marks: 64 KiB and 16 KiB") {
        for (int i = 0; i < 20; ++i) p->transport->write(pattern(8 * 1024));   // 160 KiB, most of it buffered
        REQUIRE(p->events == Events{"made", "pause"});                         // once, though written 20 times
        CHECK(p->buffered_at[0] > WriteFlowControl::default_high_water);
        CHECK(p->buffered_at[0] <= WriteFlowControl::default_high_water + 8 * 1024);
        REQUIRE(spin(f.loop, [&] {
            drain_peer(b.get());
            return p->events.back() == "resume";
        }));
        CHECK(p->buffered_at[1] <= WriteFlowControl::default_low_water);
        CHECK(p->events == Events{"made", "pause", "resume"});
    }
    SUBCASE("set_write_buffer_limits(high) puts low at high / 4; low above high is refused") {
        CHECK_THROWS_AS(p->transport->set_write_buffer_limits(100, 200), std::invalid_argument);
        p->transport->set_write_buffer_limits(40000);
        p->transport->write(pattern(48 * 1024));
        REQUIRE(p->events == Events{"made", "pause"});
        CHECK(p->buffered_at[0] > 40000);
        REQUIRE(spin(f.loop, [&] {
            drain_peer(b.get());
            return p->events.back() == "resume";
        }));
        CHECK(p->buffered_at[1] <= 10000);
    }
    p->transport->close();
    REQUIRE(spin(f.loop, [&] {
        drain_peer(b.get());
        return p->lost > 0;
    }));
    CHECK(f.reports.empty());
}

TEST_CASE("C64 write after write_eof is a RuntimeError - after close or loss the bytes are dropped, unless close() is still flushing") {
    LoopFixture f;
    auto sockets = nonblocking_pair();   // no structured binding: clang 14 lambdas cannot capture one
    UniqueFd& a = sockets.first;
    UniqueFd& b = sockets.second;
    auto p = std::make_shared<Recorder>();
    SUBCASE("after write_eof: RuntimeError, and the peer reads end of file") {
        const auto t = SocketTransport::start(f.loop, std::move(a), p);
        t->write("before");
        t->write_eof();
        CHECK_THROWS_AS(t->write("after"), RuntimeError);
        bool eof = false;
        CHECK(drain_peer(b.get(), &eof) == "before");
        CHECK(eof);
        t->close();
        REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
    }
    SUBCASE("after close() with nothing buffered: dropped, silently") {
        const auto t = SocketTransport::start(f.loop, std::move(a), p);
        t->close();
        t->write("too late");
        REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
        bool eof = false;
        CHECK(drain_peer(b.get(), &eof).empty());
        CHECK(eof);
    }
    SUBCASE("after close() while it still flushes: appended and sent before the end (asyncio's transport does the same)") {
        looplab::testing::tiny_buffers(a.get(), b.get());
        const auto t = SocketTransport::start(f.loop, std::move(a), p);
        const std::string first = pattern(64 * 1024);
        t->write(first);
        REQUIRE(t->get_write_buffer_size() > 0);
        t->close();
        t->write("tail");
        std::string got;
        bool eof = false;
        REQUIRE(spin(f.loop, [&] {
            got += drain_peer(b.get(), &eof);
            return eof;
        }));
        CHECK(got == first + "tail");
    }
    CHECK(p->lost == 1);
    CHECK(f.reports.empty());
}

TEST_CASE("C65 pause_reading stops data_received until resume_reading") {
    Rig rig;
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    std::shared_ptr<Recorder>& p = rig.p;
    p->on_data = [](Recorder& r, std::string_view) { r.transport->pause_reading(); };   // one chunk at a time
    rig.start();
    send_now(b.get(), "first");
    REQUIRE(spin(f.loop, [&] { return p->data == "first"; }));
    CHECK_FALSE(p->transport->is_reading());
    send_now(b.get(), "second");
    for (int i = 0; i < 20; ++i) step(f.loop);
    CHECK(p->data == "first");   // "second" waits in the kernel
    p->on_data = nullptr;
    p->transport->resume_reading();
    CHECK(p->transport->is_reading());
    REQUIRE(spin(f.loop, [&] { return p->data == "firstsecond"; }));
    p->transport->close();
    CHECK_FALSE(p->transport->is_reading());
    p->transport->resume_reading();   // closing: no effect
    CHECK_FALSE(p->transport->is_reading());
    REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
}

TEST_CASE("C66 an exception in data_received is reported and ends the connection with it") {
    Rig rig;
    LoopFixture& f = rig.f;
    UniqueFd& b = rig.b;
    std::shared_ptr<Recorder>& p = rig.p;
    p->on_data = [](Recorder&, std::string_view) { throw std::runtime_error("protocol bug"); };
    rig.start();
    send_now(b.get(), "boom");
    REQUIRE(spin(f.loop, [&] { return p->lost > 0; }));
    CHECK(p->events == Events{"made", "data", "lost(error)"});
    CHECK_THROWS_WITH_AS(std::rethrow_exception(p->error), "protocol bug", std::runtime_error);
    CHECK(f.reported("Fatal error: protocol.data_received() call failed.") == 1);
    bool eof = false;
    drain_peer(b.get(), &eof);
    CHECK(eof);
}

namespace {
// The server side of C67: sends back every chunk, and says how many connections it made.
struct Echo final : Protocol {
    Transport* t = nullptr;
    void connection_made(Transport& transport) override { t = &transport; }
    void data_received(std::string_view d) override { t->write(d); }
};
} // namespace

TEST_CASE("C67 create_server gives each connection a protocol - create_connection returns after connection_made") {
    LoopFixture f;
    auto run = []() -> Coroutine<std::string> {
        int made = 0;
        Server server = co_await create_server([&made] {
            ++made;
            return std::make_shared<Echo>();
        });
        std::string heard;
        std::vector<std::shared_ptr<Recorder>> clients;
        for (int i = 0; i < 2; ++i) {
            Connection c = co_await create_connection([] { return std::make_shared<Recorder>(); }, server.address());
            auto r = std::static_pointer_cast<Recorder>(c.protocol);
            CHECK(r->events == Events{"made"});   // connection_made has run already
            CHECK(r->transport == c.transport);
            c.transport->write("hello " + std::to_string(i));
            clients.push_back(r);
        }
        while (clients[0]->data.size() < 7 || clients[1]->data.size() < 7) co_await sleep(0);
        for (auto& r : clients) {
            heard += r->data + "|";
            r->transport->write_eof();   // the server's eof_received says false: it closes, we see EOF
        }
        while (clients[0]->lost == 0 || clients[1]->lost == 0) co_await sleep(0);
        CHECK(made == 2);
        CHECK(server.stats().accepted == 2);
        server.close();
        co_await server.wait_closed();   // both connections are closed
        CHECK(server.stats().open == 0);
        CHECK(clients[0]->events == Events{"made", "data", "eof", "lost(none)"});
        co_return heard;
    };
    CHECK(f.loop.run_until_complete(run()) == "hello 0|hello 1|");
    CHECK(f.reports.empty());
}
