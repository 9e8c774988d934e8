// Exercise 04_connect: a non-blocking connect through the loop. Loopback only, virtual clock.
#include <doctest/doctest.h>

#include "check_printing.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>

#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/trace.hpp"
#include "sockets.hpp"

using namespace looplab;

namespace {
struct Outcome {
    bool connected = false;
    std::string error;
    int code = 0;
    sockaddr_in peer{};
};

Coroutine<> try_connect(int sock, sockaddr_in to, Outcome* out) {
    try {
        co_await connect(sock, to);
        out->connected = true;
        socklen_t length = sizeof out->peer;
        ::getpeername(sock, reinterpret_cast<sockaddr*>(&out->peer), &length);
    } catch (const std::system_error& e) {
        out->error = e.what();
        out->code = e.code().value();
    }
}

UniqueFd nonblocking_socket() {
    UniqueFd sock = tcp_socket();
    set_nonblocking(sock.get());
    return sock;
}

sockaddr_in nobody_listens() {
    UniqueFd probe = listen_loopback(0);
    return loopback_address(local_port(probe.get()));
}   // closed here: nobody listens on that port any more
} // namespace

TEST_CASE("connect to a listening port succeeds, and the socket is connected to it" *
          doctest::description("::connect(sock, reinterpret_cast<const sockaddr*>(&address), sizeof address); "
                               "0 means connected at once, -1 with errno EINPROGRESS means 'wait for Writable'")) {
    VirtualClock clock;
    Tracer trace(clock);
    UniqueFd listener = listen_loopback(0);
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    UniqueFd sock = nonblocking_socket();
    Outcome out;
    SelectLoop loop(clock, trace);
    loop.spawn("client", try_connect(sock.get(), address, &out));
    loop.run();
    CHECK(out.error == "");
    CHECK(out.connected);
    CHECK(out.peer.sin_port == address.sin_port);
}

TEST_CASE("a connect in progress waits for Writable instead of blocking or spinning" *
          doctest::description("on EINPROGRESS, `co_await Writable{sock};` hands the wait to the loop; the "
                               "first event the coroutine yields must be that Writable")) {
    UniqueFd listener = listen_loopback(0);
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    UniqueFd sock = nonblocking_socket();
    Coroutine<> c = connect(sock.get(), address);
    const std::optional<Event> first = c.send();
    // On Linux a non-blocking TCP connect, even on the loopback, answers EINPROGRESS.
    REQUIRE(first.has_value());
    REQUIRE(std::holds_alternative<Writable>(*first));
    CHECK(std::get<Writable>(*first).fd == sock.get());
    CHECK_FALSE(c.send().has_value());   // writable now: the handshake is over, and it worked
}

TEST_CASE("a refused connect throws ECONNREFUSED, naming the address" *
          doctest::description("Writable only says the handshake is over, not that it worked: read the result "
                               "with getsockopt(sock, SOL_SOCKET, SO_ERROR, &error, &length) and throw "
                               "std::system_error(error, std::generic_category(), \"connect(127.0.0.1:PORT)\")")) {
    VirtualClock clock;
    Tracer trace(clock);
    const sockaddr_in address = nobody_listens();
    UniqueFd sock = nonblocking_socket();
    Outcome out;
    SelectLoop loop(clock, trace);
    loop.spawn("client", try_connect(sock.get(), address, &out));
    loop.run();
    CHECK_FALSE(out.connected);
    CHECK(out.code == ECONNREFUSED);
    CHECK(out.error.find("connect(" + looplab::to_string(address) + ")") == 0);
}

TEST_CASE("an error connect() reports at once is thrown too, naming the address" *
          doctest::description("only EINPROGRESS (and EINTR, which means the same for connect) is a wait; any "
                               "other errno from ::connect is final")) {
    VirtualClock clock;
    Tracer trace(clock);
    UniqueFd listener = listen_loopback(0);
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    Pipe pipe = make_pipe();   // not a socket: ::connect fails at once with ENOTSOCK
    Outcome out;
    SelectLoop loop(clock, trace);
    loop.spawn("client", try_connect(pipe.read.get(), address, &out));
    loop.run();
    CHECK_FALSE(out.connected);
    CHECK(out.code == ENOTSOCK);
    CHECK(out.error.find("connect(" + looplab::to_string(address) + ")") == 0);
}

TEST_CASE("connect then data both ways, every call non-blocking" *
          doctest::description("if the connect checks pass and this fails, look at what connect leaves behind: "
                               "the socket must be connected and still non-blocking when it returns")) {
    VirtualClock clock;
    Tracer trace(clock);
    UniqueFd listener = listen_loopback(0);
    set_nonblocking(listener.get());
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    std::string server_got, client_got;
    SelectLoop loop(clock, trace);
    loop.spawn("server", [](int l, std::string* got) -> Coroutine<> {
        UniqueFd sock = co_await accept(l);
        *got = co_await recv(sock.get(), 100);
        co_await send_all(sock.get(), "pong");
    }(listener.get(), &server_got));
    loop.spawn("client", [](sockaddr_in to, std::string* got) -> Coroutine<> {
        UniqueFd sock = co_await open_connection(to);
        co_await send_all(sock.get(), "ping");
        *got = co_await recv(sock.get(), 100);
    }(address, &client_got));
    loop.run();
    CHECK(server_got == "ping");
    CHECK(client_got == "pong");
}
