// common/fd and common/net: descriptors closed exactly once, failing calls named, loopback sockets.
#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

#include "looplab/fd.hpp"
#include "looplab/net.hpp"

using namespace looplab;

namespace {
bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
} // namespace

TEST_CASE("UniqueFd closes on destruction, and moving transfers ownership") {
    int raw;
    {
        Pipe p = make_pipe();
        raw = p.read.get();
        CHECK(is_open(raw));
        UniqueFd moved = std::move(p.read);
        CHECK_FALSE(p.read);
        CHECK(moved.get() == raw);
    }
    CHECK_FALSE(is_open(raw));
}

TEST_CASE("release gives the descriptor up without closing it") {
    Pipe p = make_pipe();
    const int raw = p.write.release();
    CHECK_FALSE(p.write);
    CHECK(is_open(raw));
    ::close(raw);
}

TEST_CASE("check() throws system_error naming the call and keeping errno") {
    try {
        check(::close(-1), "close");
        FAIL("check did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code().value() == EBADF);
        CHECK(std::string(e.what()).rfind("close: ", 0) == 0);
    }
    CHECK(check(5, "anything") == 5);
    CHECK_THROWS_AS(check(static_cast<ssize_t>(::read(-1, nullptr, 0)), "read"), std::system_error);
}

TEST_CASE("set_nonblocking makes an empty read fail with EAGAIN instead of waiting") {
    Pipe p = make_pipe();
    set_nonblocking(p.read.get());
    char c;
    CHECK(::read(p.read.get(), &c, 1) == -1);
    CHECK(errno == EAGAIN);
    CHECK((::fcntl(p.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("a socketpair carries bytes both ways") {
    auto [a, b] = make_socketpair();
    CHECK(::write(a.get(), "ping", 4) == 4);
    char buf[8] = {};
    CHECK(::read(b.get(), buf, sizeof buf) == 4);
    CHECK(std::string(buf) == "ping");
}

TEST_CASE("listen_loopback picks a free port on 127.0.0.1 that a client can connect to") {
    UniqueFd listener = listen_loopback(0);
    const auto port = local_port(listener.get());
    CHECK(port != 0);
    UniqueFd client = tcp_socket();
    const sockaddr_in addr = loopback_address(port);
    CHECK(to_string(addr) == "127.0.0.1:" + std::to_string(port));
    check(::connect(client.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), "connect");
    UniqueFd server(check(::accept(listener.get(), nullptr, nullptr), "accept"));
    CHECK(server);
}

TEST_CASE("binding a port that is taken names the failing call") {
    UniqueFd first = listen_loopback(0);
    // SO_REUSEADDR does not let two sockets listen on one port at once.
    try {
        UniqueFd second = listen_loopback(local_port(first.get()));
        FAIL("a second listener bound the same port");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()).rfind("bind: ", 0) == 0);
        CHECK(e.code().value() == EADDRINUSE);
    }
}
