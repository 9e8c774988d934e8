// A strict, minimal JSON validator for tests (RFC 8259 grammar, no extensions): enough to prove that
// the Chrome trace files looplab writes are valid JSON, without a JSON library dependency.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace looplab::testing {

class JsonValidator {
public:
    /// True when `text` is exactly one JSON value (with surrounding whitespace).
    static bool valid(std::string_view text) {
        JsonValidator v(text);
        v.ws();
        if (!v.value()) return false;
        v.ws();
        return v.pos_ == text.size();
    }

private:
    explicit JsonValidator(std::string_view t) : t_(t) {}
    bool eof() const { return pos_ >= t_.size(); }
    char peek() const { return eof() ? '\0' : t_[pos_]; }
    void ws() {
        while (!eof() && (peek() == ' ' || peek() == '\n' || peek() == '\t' || peek() == '\r')) ++pos_;
    }
    bool lit(std::string_view w) {
        if (t_.substr(pos_, w.size()) != w) return false;
        pos_ += w.size();
        return true;
    }
    bool value() {
        switch (peek()) {
        case '{': return object();
        case '[': return array();
        case '"': return string();
        case 't': return lit("true");
        case 'f': return lit("false");
        case 'n': return lit("null");
        default: return number();
        }
    }
    bool object() {
        ++pos_;
        ws();
        if (peek() == '}') { ++pos_; return true; }
        while (true) {
            ws();
            if (!string()) return false;
            ws();
            if (peek() != ':') return false;
            ++pos_;
            ws();
            if (!value()) return false;
            ws();
            if (peek() == ',') { ++pos_; continue; }
            if (peek() == '}') { ++pos_; return true; }
            return false;
        }
    }
    bool array() {
        ++pos_;
        ws();
        if (peek() == ']') { ++pos_; return true; }
        while (true) {
            ws();
            if (!value()) return false;
            ws();
            if (peek() == ',') { ++pos_; continue; }
            if (peek() == ']') { ++pos_; return true; }
            return false;
        }
    }
    bool string() {
        if (peek() != '"') return false;
        ++pos_;
        while (!eof()) {
            const char c = t_[pos_++];
            if (c == '"') return true;
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c == '\\') {
                const char e = peek();
                ++pos_;
                if (e == 'u') {
                    for (int i = 0; i < 4; ++i, ++pos_)
                        if (!std::isxdigit(static_cast<unsigned char>(peek()))) return false;
                } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                    return false;
                }
            }
        }
        return false;
    }
    bool number() {
        const std::size_t start = pos_;
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
        } else if (std::isdigit(static_cast<unsigned char>(peek()))) {
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
        } else {
            return false;
        }
        if (peek() == '.') {
            ++pos_;
            if (!std::isdigit(static_cast<unsigned char>(peek()))) return false;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!std::isdigit(static_cast<unsigned char>(peek()))) return false;
            while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
        }
        return pos_ > start;
    }

    std::string_view t_;
    std::size_t pos_ = 0;
};

} // namespace looplab::testing
