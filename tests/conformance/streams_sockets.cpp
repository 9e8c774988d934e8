// socket_ops.hpp: sock_sendall, sock_connect, sock_accept (C50, C51), and their error paths.
// Compiled against stage 07 and every later stage. Socketpairs and loopback TCP only, on the virtual clock (nobody sleeps:
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
#include "socket_ops.hpp"
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

namespace {
Coroutine<std::string> receive_all(int fd, std::size_t max) {
    std::string all;
    while (true) {
        std::string part = co_await sock_recv(fd, max);
        if (part.empty()) co_return all;
        all += part;
    }
}

Coroutine<void> send_and_close(UniqueFd* fd, std::string data) {
    co_await sock_sendall(fd->get(), std::move(data));
    fd->reset();   // end of file for the peer
}
} // namespace

TEST_CASE("C50 sock_sendall sends at once - after a partial write it waits for writability and continues where it stopped") {
    const FrameCheck frames;
    TracedLoop f;
    SUBCASE("what fits is sent in the first step, no writer, no suspension") {
        auto [a, b] = nonblocking_pair();
        Task<void> t = f.loop.create_task(sock_sendall(a.get(), "small"), "sender");
        conformance_test::step(f.loop);
        CHECK(t.done());
        CHECK(events(f.trace, TraceKind::Suspend, "sender", "") == 0);
        char got[16];
        CHECK(::recv(b.get(), got, sizeof got, 0) == 5);
    }
    SUBCASE("1 MiB through 4 KiB buffers: partial writes, many waits, every byte in order") {
        auto [a, b] = nonblocking_pair();
        looplab::testing::tiny_buffers(a.get(), b.get());
        const std::string data = pattern(1 << 20);
        Task<std::string> receiver = f.loop.create_task(receive_all(b.get(), 1000), "receiver");
        Task<void> sender = f.loop.create_task(send_and_close(&a, data), "sender");
        const std::string got = f.loop.run_until_complete(Future<std::string>(receiver.state()));
        CHECK(sender.done());
        CHECK(got.size() == data.size());
        CHECK(got == data);
        // One Future for the whole rest: the task suspended once, the writer callback did the rest.
        CHECK(events(f.trace, TraceKind::Suspend, "sender", "sock_sendall") == 1);
        CHECK(events(f.trace, TraceKind::IoReady, "sock_sendall callback", "fd") > 10);
    }
    SUBCASE("to a peer that has gone: EPIPE naming send(fd N), and no SIGPIPE kills us") {
        auto [a, b] = nonblocking_pair();
        b.reset();
        const std::string e = f.loop.run_until_complete(error_of(sock_sendall(a.get(), "into the void")));
        CHECK(e == std::to_string(EPIPE) + "|send(fd " + std::to_string(a.get()) + "): Broken pipe");
    }
    SUBCASE("a peer that leaves while the rest waits: the writer callback's error reaches the caller") {
        auto [a, b] = nonblocking_pair();
        looplab::testing::tiny_buffers(a.get(), b.get());
        Task<std::string> t = f.loop.create_task(error_of(sock_sendall(a.get(), pattern(1 << 20))), "sender");
        conformance_test::step(f.loop);
        REQUIRE_FALSE(t.done());
        b.reset();
        const std::string e = f.loop.run_until_complete(Future<std::string>(t.state()));
        CHECK(e.find("|send(fd " + std::to_string(a.get()) + "): ") != std::string::npos);
        CHECK_FALSE(f.loop.remove_writer(a.get()));
    }
    f.loop.close();
    CHECK(frames.alive() == 0);
}

namespace {
Coroutine<std::string> connect_and_greet(sockaddr_in to) {
    UniqueFd sock = co_await connect_tcp(to);
    co_await sock_sendall(sock.get(), "hello");
    co_return co_await sock_recv(sock.get(), 100);
}

Coroutine<std::string> accept_and_answer(int listener, bool* nonblocking, std::string* peer) {
    Accepted a = co_await sock_accept(listener);
    *nonblocking = (::fcntl(a.conn.get(), F_GETFL) & O_NONBLOCK) != 0;
    *peer = looplab::to_string(a.address);
    std::string got = co_await sock_recv(a.conn.get(), 100);
    co_await sock_sendall(a.conn.get(), "hi " + got);
    co_return got;
}
} // namespace

TEST_CASE("C51 sock_connect waits for writability and reads SO_ERROR - a refusal names the address - sock_accept returns a non-blocking connection") {
    const FrameCheck frames;
    TracedLoop f;
    SUBCASE("a connection accepted on one side, connected on the other, non-blocking, talking") {
        UniqueFd listener = listen_loopback(0);
        set_nonblocking(listener.get());
        const sockaddr_in address = loopback_address(local_port(listener.get()));
        bool nonblocking = false;
        std::string peer;
        Task<std::string> server = f.loop.create_task(accept_and_answer(listener.get(), &nonblocking, &peer), "server");
        Task<std::string> client = f.loop.create_task(connect_and_greet(address), "client");
        CHECK(f.loop.run_until_complete(Future<std::string>(client.state())) == "hi hello");
        CHECK(server.result() == "hello");
        CHECK(nonblocking);
        CHECK(peer.rfind("127.0.0.1:", 0) == 0);
        // The server found nobody in the backlog at first, so it waited for the listener to be readable.
        CHECK(events(f.trace, TraceKind::Suspend, "server", "sock_accept") == 1);
    }
    SUBCASE("nobody listening: ECONNREFUSED, and the message names the address") {
        const sockaddr_in address = loopback_address(looplab::testing::unused_port());
        UniqueFd sock = tcp_socket();
        set_nonblocking(sock.get());
        const std::string e = f.loop.run_until_complete(error_of(sock_connect(sock.get(), address)));
        CHECK(e == std::to_string(ECONNREFUSED) + "|connect(" + looplab::to_string(address) + "): Connection refused");
        CHECK_FALSE(f.loop.remove_writer(sock.get()));
    }
    SUBCASE("accept on a socket that does not listen: the error names accept(fd N)") {
        UniqueFd sock = tcp_socket();
        set_nonblocking(sock.get());
        const std::string e = f.loop.run_until_complete(error_of(sock_accept(sock.get())));
        CHECK(e == std::to_string(EINVAL) + "|accept(fd " + std::to_string(sock.get()) + "): Invalid argument");
    }
    SUBCASE("several clients waiting in the backlog: each accept takes one at once") {
        UniqueFd listener = listen_loopback(0);
        set_nonblocking(listener.get());
        const sockaddr_in address = loopback_address(local_port(listener.get()));
        std::vector<UniqueFd> clients;
        for (int i = 0; i < 3; ++i) {
            clients.push_back(tcp_socket());
            check(::connect(clients.back().get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
        }
        auto accept_one = [](int fd) -> Coroutine<bool> {
            Accepted a = co_await sock_accept(fd);
            co_return static_cast<bool>(a.conn);
        };
        for (int i = 0; i < 3; ++i) CHECK(f.loop.run_until_complete(accept_one(listener.get())));
        for (const TraceEvent& e : f.trace.events()) CHECK(e.kind != TraceKind::Suspend);   // never waited
    }
    f.loop.close();
    CHECK(frames.alive() == 0);
}

TEST_CASE("sock_sendall: debug mode refuses a blocking socket, as asyncio does") {
    LoopFixture f;
    f.loop.set_debug(true);
    auto [a, b] = make_socketpair();   // blocking
    CHECK_THROWS_WITH_AS(f.loop.run_until_complete(sock_sendall(a.get(), "x")),
                         doctest::Contains("must be non-blocking"), std::invalid_argument);
}
