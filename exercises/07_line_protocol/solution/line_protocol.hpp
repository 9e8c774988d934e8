/// @file
/// @brief Exercise 07_line_protocol, the reference solution: a protocol that numbers the lines it receives.
///
/// For every complete line the peer sends ("hello\n"), it writes back the line with its number
/// ("1: hello\n"). The bytes arrive in chunks cut wherever TCP cut them, so a line may come in
/// pieces, and one chunk may hold several lines: the protocol keeps the unfinished end of the last
/// chunk until the rest comes. At end of file, an unfinished last line is answered too (as
/// readline() returns one), then "bye\n", and the connection closes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocols.hpp"

namespace looplab::inline stage07 {

/// Answers each line with "N: line\n"; see the file comment.
class LineNumberProtocol : public Protocol {
public:
    /// Keeps the transport to write to.
    void connection_made(Transport& transport) override { transport_ = &transport; }

    /// Adds the chunk to what is pending, then answers every complete line in it.
    void data_received(std::string_view data) override {
        pending_.append(data);
        std::size_t start = 0;
        for (std::size_t nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n', start)) {
            answer(std::string_view(pending_).substr(start, nl - start));
            start = nl + 1;
        }
        pending_.erase(0, start);   // what is left is the beginning of a line still to come
    }

    /// The peer has sent everything: answer an unfinished last line, say goodbye, and close.
    bool eof_received() override {
        if (!pending_.empty()) answer(pending_);
        pending_.clear();
        transport_->write("bye\n");
        return false;   // the transport closes itself once "bye" is sent
    }

    /// The transport is gone: never touch it again.
    void connection_lost(std::exception_ptr) override { transport_ = nullptr; }

    /// How many lines were answered so far.
    [[nodiscard]] int lines() const { return count_; }

private:
    void answer(std::string_view line) {
        transport_->write(std::to_string(++count_) + ": " + std::string(line) + "\n");
    }

    Transport* transport_ = nullptr;
    std::string pending_;   // the unfinished end of the data so far
    int count_ = 0;
};

} // namespace looplab::stage07
