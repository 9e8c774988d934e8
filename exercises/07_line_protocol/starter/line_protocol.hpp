/// @file
/// @brief Exercise 07_line_protocol, the starter: a protocol that numbers the lines it receives.
///
/// For every complete line the peer sends ("hello\n"), it writes back the line with its number
/// ("1: hello\n"). The bytes arrive in chunks cut wherever TCP cut them, so a line may come in
/// pieces, and one chunk may hold several lines: the protocol keeps the unfinished end of the last
/// chunk until the rest comes. At end of file, an unfinished last line is answered too (as
/// readline() returns one), then "bye\n", and the connection closes.
#pragma once

#include <cstddef>
#include <stdexcept>
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
        // ===== WRITE THIS (exercise 07_line_protocol) ===========================================
        // `data` is one chunk, cut wherever TCP cut it: part of a line, a line and a half, several
        // lines. Answer every line that is now complete with answer(line) (without its "\n"), in
        // order, and keep the unfinished rest in pending_ for the next chunk. `data` is lent for
        // this call only. exercises/07_line_protocol/README.md has the task and hints.
        (void)data;
        throw std::logic_error("LineNumberProtocol::data_received is not written yet (exercise 07_line_protocol)");
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
