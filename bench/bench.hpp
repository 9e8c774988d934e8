/// @file
/// @brief What every benchmark program shares: its command line's exit codes, the clocks it reads
/// (wall and CPU), the memory it reads (/proc), and the one JSON object it prints.
///
/// Each program in bench/ measures one thing and prints one JSON object on one line, so that
/// bench/run.py (or a person) can run it alone and read the figure. Nothing here is a lesson: it is
/// plumbing, kept in one place so the programs only hold their workloads.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <csignal>
#include <string>
#include <sys/signalfd.h>
#include <system_error>
#include <unistd.h>

#include "looplab/cli.hpp"

#include "looplab/fd.hpp"
#include "looplab/net.hpp"

namespace looplab::bench {

/// Parses the command line; returns an exit code when the program should stop now: 0 after --help,
/// 2 after a bad argument (CLI11's message is printed), as every looplab binary does.
inline std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    return std::nullopt;
}

/// Adds the `--serve PORT` option every echo server of the echo workload has (required).
inline void add_serve_option(CLI::App& app, int& port) {
    app.add_option("--serve", port, "Serve on 127.0.0.1:PORT (0: a free port) until SIGINT or SIGTERM; the first "
                                     "line printed is 'listening on 127.0.0.1:PORT'")
        ->check(looplab::number(0, 65535))
        ->required();
}

/// The echo servers' stop signals as a file descriptor: SIGINT and SIGTERM are blocked and arrive as
/// reads on the returned signalfd instead, which a loop watches like any socket (no handler, so no
/// async-signal-safety to worry about). Throws std::system_error naming the failing call.
inline UniqueFd stop_signals() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (::sigprocmask(SIG_BLOCK, &stop, nullptr) < 0) throw std::system_error(errno, std::generic_category(), "sigprocmask");
    UniqueFd fd(::signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd) throw std::system_error(errno, std::generic_category(), "signalfd");
    return fd;
}

/// A non-blocking socket listening on 127.0.0.1:port, announced on stdout by the first line of the
/// contract, `listening on 127.0.0.1:PORT` (flushed: the harness is waiting for it).
inline UniqueFd listen_and_announce(int port) {
    UniqueFd listener = listen_loopback(static_cast<std::uint16_t>(port), 1024);
    set_nonblocking(listener.get());
    std::cout << "listening on " << to_string(loopback_address(local_port(listener.get()))) << std::endl;
    return listener;
}

/// Seconds on the steady clock since some fixed instant: subtract two readings.
inline double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// CPU seconds this process has used (user + system, every thread).
inline double cpu_seconds() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1 if it cannot be read.
inline long status_kb(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, field.size() + 1, field + ":") == 0) return std::stol(line.substr(field.size() + 1));
    }
    return -1;
}

/// CPU time a process has used (user + system, all its threads), from /proc/PID/stat, in clock ticks
/// (sysconf(_SC_CLK_TCK) per second, 100 on Linux). Throws std::runtime_error naming the file when
/// the process is gone.
inline long long process_cpu_ticks(long pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream in(path);
    std::string stat;
    if (!std::getline(in, stat)) throw std::runtime_error("cannot read " + path + " (is the process running?)");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoll(field);
        if (i == 15) stime = std::stoll(field);
    }
    return utime + stime;
}

/// Clock ticks per second, for process_cpu_ticks().
inline double ticks_per_second() { return static_cast<double>(::sysconf(_SC_CLK_TCK)); }

/// One flat JSON object, written in the order the fields are added: `{"workload": "spawn", ...}`.
class Json {
public:
    /// Adds a string field.
    Json& add(const std::string& key, const std::string& value) {
        std::string quoted = "\"";
        for (char c : value) {
            if (c == '"' || c == '\\') quoted += '\\';
            if (static_cast<unsigned char>(c) >= 0x20) quoted += c;
        }
        return raw(key, quoted + "\"");
    }
    /// Adds a string field (a literal).
    Json& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
    /// Adds a number.
    Json& add(const std::string& key, double value) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.9g", value);
        return raw(key, buf);
    }
    /// Adds an integer.
    Json& add(const std::string& key, long long value) { return raw(key, std::to_string(value)); }
    /// Adds an integer.
    Json& add(const std::string& key, int value) { return raw(key, std::to_string(value)); }
    /// Adds a boolean.
    Json& add(const std::string& key, bool value) { return raw(key, value ? "true" : "false"); }
    /// The object, on one line.
    [[nodiscard]] std::string str() const { return "{" + body_ + "}"; }

private:
    Json& raw(const std::string& key, const std::string& value) {
        if (!body_.empty()) body_ += ", ";
        body_ += "\"" + key + "\": " + value;
        return *this;
    }
    std::string body_;
};

/// Prints `json` as the program's one line of output, and returns the exit code: 0 when the
/// workload checked its own result, 1 when it did not (the JSON says what went wrong).
inline int report(Json& json, bool ok, const std::string& problem = {}) {
    json.add("ok", ok);
    if (!ok) json.add("error", problem);
    std::cout << json.str() << std::endl;
    return ok ? 0 : 1;
}

} // namespace looplab::bench
