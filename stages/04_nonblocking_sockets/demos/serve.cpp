// `--serve PORT`: the echo server of echo_server.hpp alone, until SIGINT or SIGTERM. A signal
// handler may do almost nothing (no locks, no allocation, no iostreams), so it writes one byte into a
// pipe: the classic *self-pipe*. A task awaits Readable on the other end, like any socket, and stops
// the loop; destroying the loop destroys every connection task, and their sockets close.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "demos/demos.hpp"
#include "echo_server.hpp"
#include "loop.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/trace.hpp"

namespace looplab::inline stage04 {

namespace {
int signal_pipe = -1;   // the write end, for the handler

extern "C" void on_stop_signal(int signo) {
    const int saved = errno;   // a handler must leave errno as it found it
    const unsigned char byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] const ssize_t n = ::write(signal_pipe, &byte, 1);   // full pipe: a byte is there already
    errno = saved;
}

Coroutine<> wait_for_signal(int fd, SelectLoop* loop, int* signo) {
    co_await Readable{fd};
    unsigned char byte = 0;
    if (::read(fd, &byte, 1) == 1) *signo = byte;
    loop->stop();
}
} // namespace

int serve_echo(std::uint16_t port) {
    ignore_sigpipe();
    UniqueFd listener;
    Pipe wakeup;
    try {
        listener = listen_loopback(port, 1024);
        set_nonblocking(listener.get());
        wakeup = make_pipe();
        set_nonblocking(wakeup.read.get());
        set_nonblocking(wakeup.write.get());   // the handler must never block
    } catch (const std::system_error& e) {
        std::cerr << "04-nonblocking-sockets: cannot serve on 127.0.0.1:" << port << ": " << e.what() << std::endl;
        return 1;
    }
    signal_pipe = wakeup.write.get();
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);

    // The first line, flushed at once: a test or a script reads the port from it.
    std::cout << "listening on " << looplab::to_string(loopback_address(local_port(listener.get()))) << std::endl;

    RealClock clock;
    Tracer trace(clock);
    EchoServer server;
    server.listener = listener.get();
    server.log = [](const std::string& line) { std::cerr << line << std::endl; };
    int signo = 0;
    std::size_t open_at_stop = 0;
    try {
        SelectLoop loop(clock, trace);
        server.loop = &loop;
        loop.spawn("accept", accept_connections(&server));
        loop.spawn("signals", wait_for_signal(wakeup.read.get(), &loop, &signo));
        loop.run();
        open_at_stop = server.stats.open;
    } catch (const std::exception& e) {   // the loop was destroyed on the way out: sockets closed
        std::cerr << "04-nonblocking-sockets: the server failed: " << e.what() << std::endl;
        return 1;
    }
    // Here the loop is gone, and with it every connection task and its socket.
    const EchoStats& s = server.stats;
    std::cout << "got " << (signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "a signal") << ": closed "
              << open_at_stop << " open connections; served " << s.accepted << " connections (" << s.finished
              << " ended cleanly, " << s.failed << " in an error), refused " << s.refused << ", echoed " << s.bytes
              << " bytes, at most " << s.peak << " at once" << std::endl;
    return 0;
}

} // namespace looplab::stage04
