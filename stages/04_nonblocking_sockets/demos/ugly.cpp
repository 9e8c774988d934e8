// Demo `ugly`: the retry loops of sockets.hpp written out inline, with a line for every EAGAIN and
// EINPROGRESS as it happens. This is what every non-blocking program does underneath, and what the
// next stage hides behind callbacks and Futures. Not deterministic: how many bytes fit before EAGAIN
// depends on socket buffer sizes that the kernel tunes on its own.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <system_error>

#include "demos/demos.hpp"
#include "loop.hpp"
#include "looplab/net.hpp"
#include "sockets.hpp"

namespace looplab::inline stage04 {

namespace {
constexpr std::size_t flood = 4 * 1024 * 1024;   // more than any loopback buffer holds

std::string error_name(int error) {
    switch (error) {
    case EAGAIN: return "EAGAIN";
    case EINPROGRESS: return "EINPROGRESS";
    case ECONNREFUSED: return "ECONNREFUSED";
    default: return std::strerror(error);
    }
}

[[noreturn]] void fail(const char* call) { throw std::system_error(errno, std::generic_category(), call); }

// The server side: accept by hand, sleep before reading so the client's data piles up, then drain.
Coroutine<> server(int listener, const Clock* clock, Narrator* say) {
    int fd;
    while (true) {
        fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) break;
        if (errno != EAGAIN) fail("accept");
        say->task_line("server", "accept() -> EAGAIN: nobody in the backlog yet. co_await Readable{listener}");
        co_await Readable{listener};
        say->task_line("server", "the listener is readable at " + format_time(clock->now()) + ": try accept() again");
    }
    UniqueFd sock(fd);
    say->task_line("server", "accept() -> fd " + std::to_string(fd) + ". Now it sleeps 0.2 s before reading "
                                                                       "anything, so the client's bytes pile up");
    co_await Sleep{clock->now() + seconds(0.2)};
    std::string buffer(256 * 1024, '\0');
    std::size_t have = 0;
    int calls = 0;
    while (true) {
        const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (got > 0) {
            have += static_cast<std::size_t>(got);
            calls += 1;
            continue;
        }
        if (got == 0) break;
        if (errno != EAGAIN) fail("recv");
        say->task_line("server", std::to_string(calls) + " recv() calls took " + std::to_string(have) +
                                     " bytes so far, then EAGAIN: drained. co_await Readable{fd}");
        calls = 0;
        co_await Readable{fd};
    }
    say->task_line("server", "recv() -> 0: end of file after " + std::to_string(have) + " bytes; it closes at " +
                                 format_time(clock->now()));
}

Coroutine<> client(sockaddr_in address, const Clock* clock, Narrator* say) {
    UniqueFd sock = tcp_socket();
    set_nonblocking(sock.get());
    const int fd = sock.get();
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
        if (errno != EINPROGRESS) fail("connect");
        say->task_line("client", "connect() -> EINPROGRESS: the handshake has started without us. "
                                 "co_await Writable{fd}");
        co_await Writable{fd};
        int error = 0;
        socklen_t length = sizeof error;
        check(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length), "getsockopt(SO_ERROR)");
        say->task_line("client", "writable at " + format_time(clock->now()) + "; getsockopt(SO_ERROR) -> " +
                                     std::to_string(error) + ": " + (error == 0 ? "connected" : error_name(error)));
        if (error != 0) throw std::system_error(error, std::generic_category(), "connect");
    }
    char byte;
    if (::recv(fd, &byte, 1, 0) < 0 && errno == EAGAIN)
        say->task_line("client", "recv() -> EAGAIN: nothing has arrived (the server sends nothing). A blocking "
                                 "recv() would freeze the whole loop here; this one says \"not yet\"");

    const std::string chunk(64 * 1024, 'x');
    std::size_t sent = 0;
    int calls = 0;
    while (sent < flood) {
        const ssize_t n = ::send(fd, chunk.data(), std::min(chunk.size(), flood - sent), MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            calls += 1;
            continue;
        }
        if (errno != EAGAIN) fail("send");
        say->task_line("client", std::to_string(calls) + " send() calls took " + std::to_string(sent) + " of " +
                                     std::to_string(flood) + " bytes, then EAGAIN: the buffers are full. "
                                     "co_await Writable{fd}");
        calls = 0;
        co_await Writable{fd};
    }
    say->task_line("client", "sent all " + std::to_string(flood) + " bytes at " + format_time(clock->now()) +
                                 "; shutdown(SHUT_WR): end of file for the server");
    check(::shutdown(fd, SHUT_WR), "shutdown");
}

// A connection that cannot happen: the port was just closed.
Coroutine<> refused(sockaddr_in address, Narrator* say) {
    UniqueFd sock = tcp_socket();
    set_nonblocking(sock.get());
    const int rc = ::connect(sock.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    const int error = rc == 0 ? 0 : errno;
    say->task_line("refused", "connect(" + looplab::to_string(address) + ") -> " +
                                  (rc == 0 ? std::string("0") : error_name(error)));
    UniqueFd again = tcp_socket();
    set_nonblocking(again.get());
    try {
        co_await connect(again.get(), address);   // the helper from sockets.hpp, which hides all that
        say->task_line("refused", "connected?! Somebody else took the port");
    } catch (const std::system_error& e) {
        say->task_line("refused", std::string("sockets.hpp's connect() raised: ") + e.what());
    }
}
} // namespace

void demo_ugly(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    say.heading("Every EAGAIN, out loud");
    say.say("The same calls as sockets.hpp, written inline with a line for each \"not yet\". The server "
            "accepts, then sleeps 0.2 s before reading; the client floods it with 4 MiB meanwhile, "
            "until the kernel's buffers are full and send() says EAGAIN. This is the code the next "
            "stage hides: asyncio's loop.sock_recv() and friends are these loops, with callbacks.");
    say.say("This demo is not deterministic: how many bytes fit before EAGAIN depends on socket buffer "
            "sizes that the kernel tunes as it goes.");
    say.source("compare with recv(), send_all(), accept() and connect() in sockets.hpp");
    say.gap();

    UniqueFd listener = listen_loopback(0);
    set_nonblocking(listener.get());
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    sockaddr_in closed_address;
    {
        UniqueFd closed = listen_loopback(0);
        closed_address = loopback_address(local_port(closed.get()));
    }   // closed: nobody listens there any more

    SelectLoop loop(ctx.clock, ctx.trace, opts.queue);
    loop.spawn("server", server(listener.get(), &ctx.clock, &say));
    loop.spawn("client", client(address, &ctx.clock, &say));
    loop.run();

    say.heading("A refused connection");
    loop.spawn("refused", refused(closed_address, &say));
    loop.run();
    say.gap();
    say.say("Every call was tried first, and only \"not yet\" led to a co_await. A connect() cannot be "
            "retried, so it is the odd one: EINPROGRESS, then Writable, then SO_ERROR says how it ended.");
}

} // namespace looplab::stage04
