/// @file
/// @brief The echo demos' client (echo, echo-protocol): seeded-random lines sent one at a time with
/// a StreamWriter, each echo pulled back with readline() and checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "looplab/random.hpp"
#include "streams.hpp"

namespace looplab::inline stage07 {

/// What one echo client did.
struct ClientResult {
    int round_trips = 0;       ///< lines sent and read back (whether each matched is in `ok`)
    std::uint64_t bytes = 0;   ///< sent, newlines included
    bool ok = false;           ///< every echo matched, and the server closed after we did
};

/// Sends `messages` lines of 1 to `max_size` random letters (seeded by `seed`), reading each echo
/// back with readline() before the next; then sends end of file and expects the server to close.
inline Coroutine<void> echo_client(sockaddr_in address, int messages, std::size_t max_size, std::uint64_t seed,
                                   ClientResult* result) {
    auto [reader, writer] = co_await open_connection(address);
    SplitMix64 random(seed);
    bool all_equal = true;
    for (int i = 0; i < messages; ++i) {
        std::string line(1 + random.below(max_size), '\0');
        for (char& c : line) c = static_cast<char>('a' + random.below(26));
        line += '\n';
        writer.write(line);
        co_await writer.drain();
        const std::string echoed = co_await reader.readline();
        all_equal = all_equal && echoed == line;
        result->round_trips += 1;
        result->bytes += line.size();
    }
    writer.write_eof();                                 // "I have sent everything"
    const std::string after = co_await reader.read();   // the server's answer: end of file
    result->ok = all_equal && after.empty();
    writer.close();
    co_await writer.wait_closed();
}

} // namespace looplab::stage07
