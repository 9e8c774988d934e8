// bench-stage05-echo: the "stage 05 sockets" server of the echo workload. The same echo as stage 04's
// server and the epoll floor (bytes in, the same bytes out), written on stage 05's socket coroutines
// directly: a task per connection looping over sock_recv() and sock_sendall(), and an accepting task
// over sock_accept(). Beside `05-futures-tasks --serve` (stage 05's streams, with readline and
// buffering) it shows what the streams layer costs on top of the socket operations.
//
// Same contract as the stage binaries' --serve: the first line is `listening on 127.0.0.1:PORT`;
// SIGINT or SIGTERM stops it with exit code 0. The signal handler writes a byte into a pipe (the
// self-pipe trick), whose reader callback completes the Future that main awaits; run() then cancels
// the accepting task and every connection task, and their sockets close.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "bench.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "run.hpp"
#include "sockets.hpp"

namespace {

using namespace looplab;

int signal_pipe = -1;   // the write end, for the handler

extern "C" void on_stop_signal(int signo) {
    const int saved = errno;
    const unsigned char byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] const ssize_t n = ::write(signal_pipe, &byte, 1);
    errno = saved;
}

struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t bytes = 0;
};

Coroutine<void> echo(UniqueFd conn, Stats* stats) {
    try {
        for (;;) {
            std::string data = co_await sock_recv(conn.get(), 64 * 1024);
            if (data.empty()) break;   // the client closed its end
            stats->bytes += data.size();
            co_await sock_sendall(conn.get(), std::move(data));
        }
    } catch (const std::system_error&) {
        // ECONNRESET, EPIPE: the client went away mid-message; this connection is over, the server is not.
    }
}

Coroutine<void> accept_all(int listener, Stats* stats) {
    for (;;) {
        Accepted client = co_await sock_accept(listener);
        stats->accepted += 1;
        create_task(echo(std::move(client.conn), stats), "echo");   // the loop keeps the task alive
    }
}

Coroutine<int> serve(int listener, int wake, Stats* stats) {
    EventLoop& loop = get_running_loop();
    Future<void> stop(loop, "stop signal");
    loop.add_reader(wake, [stop, wake] {
        unsigned char byte = 0;
        [[maybe_unused]] const ssize_t n = ::read(wake, &byte, 1);
        if (!stop.done()) stop.set_result();
    }, "signals");
    Task<void> acceptor = create_task(accept_all(listener, stats), "accept");
    co_await stop;
    loop.remove_reader(wake);
    acceptor.cancel();
    co_return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench-stage05-echo: a TCP echo server on stage 05's sock_accept, sock_recv and sock_sendall"};
    int port = 0;
    app.add_option("--serve", port, "Serve on 127.0.0.1:PORT (0: a free port) until SIGINT or SIGTERM; the first "
                                     "line printed is 'listening on 127.0.0.1:PORT'")
        ->check(CLI::Range(0, 65535))
        ->required();
    if (auto code = looplab::bench::parse(app, argc, argv)) return *code;

    using namespace looplab;
    ignore_sigpipe();
    UniqueFd listener;
    Pipe wakeup;
    try {
        listener = listen_loopback(static_cast<std::uint16_t>(port), 1024);
        set_nonblocking(listener.get());
        wakeup = make_pipe();
        set_nonblocking(wakeup.read.get());
        set_nonblocking(wakeup.write.get());
    } catch (const std::system_error& e) {
        std::cerr << "bench-stage05-echo: cannot serve on 127.0.0.1:" << port << ": " << e.what() << std::endl;
        return 1;
    }
    signal_pipe = wakeup.write.get();
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
    std::cout << "listening on " << looplab::to_string(loopback_address(local_port(listener.get()))) << std::endl;

    Stats stats;
    RealClock clock;
    try {
        run(serve(listener.get(), wakeup.read.get(), &stats), clock);
    } catch (const std::exception& e) {
        std::cerr << "bench-stage05-echo: the server failed: " << e.what() << std::endl;
        return 1;
    }
    std::cout << "stopped: served " << stats.accepted << " connections, echoed " << stats.bytes << " bytes" << std::endl;
    return 0;
}
