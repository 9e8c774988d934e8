// bench-stage07-echo: the "stage 07 sockets" server of the echo workload. The same echo as stage 04's
// server and the epoll floor (bytes in, the same bytes out), written on stage 07's socket coroutines
// directly: a task per connection looping over sock_recv() and sock_sendall(), and an accepting task
// over sock_accept(). Beside `07-streams --serve` (stage 07's streams, with readline and
// buffering) it shows what the streams layer costs on top of the socket operations.
//
// Same contract as the stage binaries' --serve: the first line is `listening on 127.0.0.1:PORT`;
// SIGINT or SIGTERM stops it with exit code 0. The signals arrive on a signalfd, whose reader
// callback completes the Future that main awaits; run() then cancels the accepting task and every
// connection task, and their sockets close.
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
#include "socket_ops.hpp"

namespace {

using namespace looplab;

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

Coroutine<int> serve(int listener, int signals, Stats* stats) {
    EventLoop& loop = get_running_loop();
    Future<void> stop(loop, "stop signal");
    loop.add_reader(signals, [stop] {
        if (!stop.done()) stop.set_result();
    }, "stop signals");
    Task<void> acceptor = create_task(accept_all(listener, stats), "accept");
    co_await stop;
    loop.remove_reader(signals);
    acceptor.cancel();
    co_return 0;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench-stage07-echo: a TCP echo server on stage 07's sock_accept, sock_recv and sock_sendall"};
    int port = 0;
    looplab::bench::add_serve_option(app, port);
    if (auto code = looplab::bench::parse(app, argc, argv)) return *code;

    using namespace looplab;
    ignore_sigpipe();   // a send to a client that has gone must be an EPIPE error, not a silent death
    Stats stats;
    try {
        UniqueFd signals = bench::stop_signals();
        UniqueFd listener = bench::listen_and_announce(port);
        RealClock clock;
        run(serve(listener.get(), signals.get(), &stats), clock);
    } catch (const std::exception& e) {
        std::cerr << "bench-stage07-echo: " << e.what() << std::endl;
        return 1;
    }
    std::cout << "stopped: served " << stats.accepted << " connections, echoed " << stats.bytes << " bytes" << std::endl;
    return 0;
}
