// Demo `c10k`: N idle connections and one busy one, watched by one loop. Each loop iteration finds
// the busy connection readable, runs its callback once, and goes round again; the idle ones never
// become ready. With select() the iteration still costs O(N): both fd_sets are rebuilt and scanned,
// here and in the kernel. With epoll the kernel keeps the list, and the iteration costs what the one
// ready fd costs. The table is measured on this machine, on the real clock, whatever --clock says.
//
// The idle connections are loopback TCP connections to a helper process this demo forks, which
// connects N times and holds its ends until the demo is done: so this process holds one fd per
// connection, not two.
#include <sys/poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "demos/demos.hpp"
#include "looplab/fd.hpp"
#include "looplab/net.hpp"
#include "looplab/process.hpp"

namespace looplab::inline stage08 {

namespace {

using Steady = std::chrono::steady_clock;

// Makes room for `needed` fds: raises the soft RLIMIT_NOFILE to the hard limit if it is lower, and
// says so. Returns how many fds this process may have open.
rlim_t make_room_for(rlim_t needed, Narrator& say) {
    rlimit limit{};
    check(::getrlimit(RLIMIT_NOFILE, &limit), "getrlimit(RLIMIT_NOFILE)");
    if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
        const rlim_t old = limit.rlim_cur;
        limit.rlim_cur = limit.rlim_max;
        check(::setrlimit(RLIMIT_NOFILE, &limit), "setrlimit(RLIMIT_NOFILE)");
        say.line("raised the soft limit on open files (RLIMIT_NOFILE) from " + std::to_string(old) + " to the hard limit, " +
                 std::to_string(limit.rlim_cur));
    }
    return limit.rlim_cur;
}

// N idle loopback connections: our ends in `ends`, the other ends held by a helper process until
// this object goes (its destructor closes the pipe the helper waits on, then reaps it).
struct IdleConnections {
    std::vector<UniqueFd> ends;
    Pipe hold;
    std::optional<ChildProcess> helper;

    explicit IdleConnections(int n) {
        UniqueFd listener = listen_loopback(0, 4096);
        const sockaddr_in address = loopback_address(local_port(listener.get()));
        hold = make_pipe();
        const int wait_on = hold.read.get(), write_end = hold.write.get();
        helper = ChildProcess::start([n, address, wait_on, write_end] {
            ::close(write_end);   // our copy of the write end would keep end of file from ever coming
            std::vector<UniqueFd> mine;
            for (int i = 0; i < n; ++i) {
                UniqueFd s = tcp_socket();
                check(::connect(s.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address), "connect");
                mine.push_back(std::move(s));
            }
            char byte;
            while (::read(wait_on, &byte, 1) != 0) {}   // end of file: the demo is done with us
            return 0;
        });
        hold.read.reset();
        for (int i = 0; i < n; ++i) {
            pollfd p{listener.get(), POLLIN, 0};
            if (check(::poll(&p, 1, 10000), "poll") == 0)
                throw std::runtime_error("c10k: the helper process made only " + std::to_string(i) + " of " +
                                         std::to_string(n) + " connections in 10 s");
            ends.emplace_back(check(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC), "accept4"));
        }
    }
    ~IdleConnections() {
        ends.clear();
        hold.write.reset();   // the helper reads end of file and leaves
        helper->wait();
    }
};

// Microseconds per loop iteration with `kind`, or the selector's refusal. The busy connection is a
// socketpair whose callback reads the byte waiting and writes the next one, so every iteration has
// exactly one ready fd and runs exactly one callback.
std::string cost_of_iteration(SelectorKind kind, const IdleConnections& idle, int iterations, Clock& clock,
                              std::string* refusal) {
    auto [busy, peer] = make_socketpair();   // before the loop, so that they outlive its registrations
    long long never = 0, runs = 0;
    std::optional<EventLoop> made;
    try {
        // The loop itself watches an fd, its wake-up eventfd: with 1024 fds open, select() refuses even that.
        made.emplace(clock, make_selector(kind));
        for (const UniqueFd& fd : idle.ends) made->add_reader(fd.get(), [&never] { ++never; }, "idle");
    } catch (const std::invalid_argument& e) {
        *refusal = e.what();
        return "refused";
    }
    EventLoop& loop = *made;
    const int b = busy.get(), p = peer.get();
    loop.add_reader(b, [b, p, &runs] {
        char byte;
        check(::recv(b, &byte, 1, 0), "recv");
        check(::send(p, &byte, 1, 0), "send");
        ++runs;
    }, "busy");
    check(::send(p, "x", 1, 0), "send");
    for (int i = 0; i < 100; ++i) loop.run_once();   // warm up: caches, the kernel's lists
    // Five batches; the median batch, so one preemption by another process does not count.
    std::vector<double> us;
    for (int batch = 0; batch < 5; ++batch) {
        const auto start = Steady::now();
        for (int i = 0; i < iterations / 5; ++i) loop.run_once();
        us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count() / (iterations / 5));
    }
    std::sort(us.begin(), us.end());
    if (never != 0 || runs != 100 + iterations / 5 * 5) throw std::logic_error("c10k: an idle connection became ready");
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", us[2]);
    return text;
}

std::string padded(const std::string& s, std::size_t width) {
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

} // namespace

void demo_c10k(DemoContext& ctx, const StageOptions& opts) {
    auto& say = ctx.say;
    say.heading("c10k: one busy connection among N idle ones");
    say.say("Each iteration of the loop finds one readable fd and runs one callback. select() is handed every "
            "watched fd, every time, and walks them all; epoll keeps the list in the kernel and returns only the "
            "ready one. The idle connections are loopback TCP connections to a helper process this demo starts. "
            "Times are real (microseconds per iteration, median of five batches), whatever --clock says.");
    say.source("read epoll_selector.hpp, then SelectSelector::select() in selector.hpp");
    say.gap();

    const int largest = *std::max_element(opts.connections.begin(), opts.connections.end());
    const rlim_t room = make_room_for(static_cast<rlim_t>(largest) + 64, say);
    say.line("connections  fds watched  select us/iteration  epoll us/iteration");   // watched: idle, busy, the wake-up fd
    std::string refusal;
    for (int n : opts.connections) {
        if (static_cast<rlim_t>(n) + 64 > room) {
            say.line(padded(std::to_string(n), 11) + "  skipped: needs " + std::to_string(n + 64) +
                     " open files, the hard limit is " + std::to_string(room));
            continue;
        }
        const auto start = Steady::now();
        if (n >= 1000) say.line(padded("", 11) + "  (opening " + std::to_string(n) + " connections...)");
        IdleConnections idle(n);
        const std::string with_select = cost_of_iteration(SelectorKind::select, idle, opts.iterations, ctx.clock, &refusal);
        const std::string with_epoll = cost_of_iteration(SelectorKind::epoll, idle, opts.iterations, ctx.clock, &refusal);
        const double took = std::chrono::duration<double>(Steady::now() - start).count();
        say.line(padded(std::to_string(n), 11) + "  " + padded(std::to_string(n + 2), 11) + "  " + padded(with_select, 19) +
                 "  " + padded(with_epoll, 18) + (took > 1.0 ? "   (" + std::to_string(static_cast<int>(took)) + " s)" : ""));
    }
    say.gap();
    if (!refusal.empty()) say.line("select() refused: " + refusal);
    say.say("select()'s cost grows with the number of fds it watches (and it cannot watch an fd numbered 1024 or "
            "more at all); epoll's stays flat, because an idle connection costs it nothing per iteration. What "
            "epoll pays instead is an epoll_ctl() system call whenever a registration changes.");
}

} // namespace looplab::stage08
