// `--serve PORT`: the streams echo server alone, until SIGINT or SIGTERM, with stage 04's contract:
// the first line is `listening on 127.0.0.1:PORT`, log lines go to standard error, a signal closes
// every connection and exits 0 after a summary line.
//
// Stage 07 wrote its own self-pipe here; stage 08's loop has add_signal_handler() (signals.hpp), so
// SIGINT and SIGTERM are ordinary callbacks that complete a Future, which main awaits like any other;
// then main closes the server and returns, and run() cancels every connection's handler: each
// unwinds, its streams go, and their sockets close.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "demos/demos.hpp"
#include "looplab/clock.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "streams.hpp"

namespace looplab::inline stage08 {

namespace {

// What the handlers counted.
struct ServeCount {
    std::uint64_t finished = 0;   // connections the client ended cleanly (end of file)
    std::uint64_t failed = 0;     // connections that ended in an error (reset, broken pipe)
    std::uint64_t bytes = 0;      // bytes echoed
};

// One connection: whatever arrives goes back, a chunk at a time. drain() after each write is what
// bounds the memory: a client that does not read makes drain() wait, so we stop reading from it,
// our reader's buffer fills, reading pauses, and TCP makes the client wait (streams.hpp).
Coroutine<void> echo_bytes(StreamReader reader, StreamWriter writer, ServeCount* count) {
    std::string failure;
    try {
        while (true) {
            std::string data = co_await reader.read(64 * 1024);
            if (data.empty()) break;   // end of file: the client has sent everything
            count->bytes += data.size();
            writer.write(data);
            co_await writer.drain();
        }
    } catch (const std::system_error& e) {
        failure = e.what();   // this client's problem only (no co_await in a handler: C++ forbids it)
    }
    if (failure.empty()) {
        count->finished += 1;
        writer.close();
        co_return;
    }
    count->failed += 1;
    std::cerr << "a connection ended: " << failure << std::endl;
}

// What main saw when the signal came.
struct Stop {
    int signo = 0;
    std::size_t open = 0;
    ServerStats stats;
};

Coroutine<void> serve_main(std::uint16_t port, ServeCount* count, Stop* stop) {
    Server server = co_await start_server(
        [count](StreamReader r, StreamWriter w) { return echo_bytes(std::move(r), std::move(w), count); }, port);
    // The first line, flushed at once: a test or a script reads the port from it.
    std::cout << "listening on " << looplab::to_string(server.address()) << std::endl;

    EventLoop& loop = get_running_loop();
    Future<int> signalled(loop, "signal");
    for (int signo : {SIGINT, SIGTERM})
        loop.add_signal_handler(signo, [signalled, signo] {
            if (!signalled.done()) signalled.set_result(signo);
        });
    stop->signo = co_await signalled;
    loop.remove_signal_handler(SIGINT);
    loop.remove_signal_handler(SIGTERM);
    stop->open = server.stats().open;
    stop->stats = server.stats();
    server.close();
}   // run() now cancels every connection handler: their sockets close

} // namespace

int serve_echo(std::uint16_t port) {
    ignore_sigpipe();
    RealClock clock;
    RunOptions options;
    options.exception_handler = [](const ErrorContext& c) { std::cerr << format_report(c) << std::endl; };
    ServeCount count;
    Stop stop;
    try {
        run(serve_main(port, &count, &stop), clock, options);
    } catch (const std::exception& e) {
        std::cerr << "08-beyond-select: cannot serve on 127.0.0.1:" << port << ": " << e.what() << std::endl;
        return 1;
    }
    // Here the loop is closed, and every connection with it.
    const ServerStats& s = stop.stats;
    std::cout << "got " << (stop.signo == SIGINT ? "SIGINT" : stop.signo == SIGTERM ? "SIGTERM" : "a signal") << ": closed "
              << stop.open << " open connections; served " << s.accepted << " connections (" << count.finished
              << " ended cleanly, " << count.failed << " in an error), refused " << s.refused << ", echoed " << count.bytes
              << " bytes, at most " << s.peak << " at once" << std::endl;
    return 0;
}

} // namespace looplab::stage08
