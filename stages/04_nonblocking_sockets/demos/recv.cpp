// Demo `recv`: the demo starts its own server, in-process, on 127.0.0.1 and a port the kernel picks.
// The server sends 32 KiB in 4 KiB chunks with a pause before each; a client coroutine receives them
// with recv(), while a reader of /dev/urandom and a sleeper share the loop. Stage 03's urandom demo
// again, but the reader now awaits Readable and calls read() itself, and the slow source is a socket.
#include <string>
#include <unistd.h>

#include "demos/demos.hpp"
#include "loop.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "sockets.hpp"

#include <fcntl.h>

namespace looplab::inline stage04 {

namespace {
constexpr std::size_t total = 32 * 1024, chunk = 4096;

// The other end, in the same loop: accept one client, then a chunk after every pause.
Coroutine<> slow_server(int listener, Duration pause, const Clock* clock, Narrator* say) {
    UniqueFd sock = co_await accept(listener);
    say->task_line("server", "accepted the client at " + format_time(clock->now()));
    for (std::size_t sent = 0; sent < total; sent += chunk) {
        co_await Sleep{clock->now() + pause};
        co_await send_all(sock.get(), std::string(chunk, static_cast<char>('a' + sent / chunk)));
    }
    say->task_line("server", "sent all " + std::to_string(total) + " bytes; closing at " + format_time(clock->now()));
}   // `sock` closes here: the client's next recv() returns end of file

Coroutine<> client(sockaddr_in address, const Clock* clock, Narrator* say) {
    UniqueFd sock = co_await open_connection(address);
    say->task_line("client", "connected to the server at " + format_time(clock->now()));
    std::size_t have = 0;
    while (true) {
        const std::string bytes = co_await recv(sock.get(), chunk);   // try; on EAGAIN, await Readable
        if (bytes.empty()) {
            say->task_line("client", "end of file at " + format_time(clock->now()) + " after " +
                                         std::to_string(have) + " bytes");
            co_return;
        }
        have += bytes.size();
        say->task_line("client", "got " + std::to_string(bytes.size()) + " bytes of '" + bytes.substr(0, 1) +
                                     "' (" + std::to_string(have) + " of " + std::to_string(total) + ") at " +
                                     format_time(clock->now()));
    }
}

// Stage 03's Read{fd, 4096}, by hand: await readiness, then make the call ourselves.
Coroutine<> urandom_reader(int fd, const Clock* clock, Narrator* say) {
    std::string buffer(chunk, '\0');
    std::size_t have = 0;
    while (have < total) {
        co_await Readable{fd};
        have += static_cast<std::size_t>(check(::read(fd, buffer.data(), chunk), "read(/dev/urandom)"));
        say->task_line("urandom", std::to_string(have) + " of " + std::to_string(total) + " bytes at " +
                                      format_time(clock->now()));
    }
}

Coroutine<> sleeper(int steps, Duration delay, const Clock* clock, Narrator* say) {
    for (int step = 1; step <= steps; ++step) {
        co_await Sleep{clock->now() + delay};
        say->task_line("sleeper", "tick " + std::to_string(step) + " of " + std::to_string(steps) + " at " +
                                      format_time(clock->now()));
    }
}
} // namespace

void demo_recv(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    const Duration pause = seconds(opts.delay);

    say.heading("A client receives from a slow server, beside a reader of /dev/urandom and a sleeper");
    say.say("The demo starts its own server: a task in this same loop, listening on 127.0.0.1 on a port "
            "the kernel picks. It sends 32 KiB in 4 KiB chunks, pausing " + format_time(pause) +
            " before each. The client's recv() tries, gets EAGAIN while nothing has arrived, awaits "
            "Readable, and tries again when select() says so. The urandom reader awaits Readable "
            "and calls read() itself: what stage 03's Read did for it. The sleeper ticks every 0.15 s.");
    say.say("This demo is not deterministic: the bytes cross the kernel's loopback on the kernel's "
            "schedule, so on either clock a chunk may arrive a turn later, or two may arrive together.");
    say.source("read recv() and connect() in sockets.hpp, then SelectLoop::wait() in loop.hpp");
    say.gap();

    FrameWatch frames;
    UniqueFd listener = listen_loopback(0);
    set_nonblocking(listener.get());
    const sockaddr_in address = loopback_address(local_port(listener.get()));
    UniqueFd urandom(check(::open("/dev/urandom", O_RDONLY | O_CLOEXEC), "open(/dev/urandom)"));
    say.line("the server listens on " + looplab::to_string(address));

    SelectLoop loop(ctx.clock, ctx.trace, opts.queue);
    loop.spawn("server", slow_server(listener.get(), pause, &ctx.clock, &say));
    loop.spawn("client", client(address, &ctx.clock, &say));
    loop.spawn("urandom", urandom_reader(urandom.get(), &ctx.clock, &say));
    loop.spawn("sleeper", sleeper(5, seconds(0.15), &ctx.clock, &say));
    loop.run();

    say.gap();
    say.line("done at " + format_time(ctx.clock.now()) + ": " + std::to_string(loop.stats().selects) +
             " select() calls, " + std::to_string(loop.stats().ready) + " fds found ready, " + frames.line());
    say.gap();
    say.say("The client was resumed only when a chunk had arrived; between chunks it cost nothing but "
            "an entry in the loop's read set. /dev/urandom, always readable, went as fast as the loop "
            "let it: one read per turn. Nothing here blocked: every call was tried, and the only "
            "waiting anyone did was inside select(), for everybody at once.");
}

} // namespace looplab::stage04
