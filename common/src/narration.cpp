#include "looplab/narration.hpp"

#include <ostream>
#include <sstream>

namespace looplab {

Narrator::Narrator(std::ostream& out, bool color, bool quiet)
    : out_(out), painter_(color), quiet_(quiet) {}

void Narrator::banner(std::string_view name, std::string_view summary) {
    std::string rule(78, '=');
    out_ << painter_.bold(rule) << '\n'
         << painter_.bold(std::string("demo: ") + std::string(name)) << "  --  " << summary << '\n'
         << painter_.bold(rule) << '\n';
}

void Narrator::heading(std::string_view text) {
    if (quiet_) return;
    out_ << '\n' << painter_.bold(std::string("## ") + std::string(text)) << '\n';
}

void Narrator::say(std::string_view paragraph) {
    if (quiet_) return;
    out_ << wrap_text(paragraph, 78, "") << '\n';
}

void Narrator::source(std::string_view pointer) {
    if (quiet_) return;
    out_ << painter_.dim(std::string("  -> ") + std::string(pointer)) << '\n';
}

void Narrator::line(std::string_view text) { out_ << text << '\n'; }

void Narrator::task_line(std::string_view task, std::string_view text) {
    out_ << task_name(task) << ' ' << text << '\n';
}

void Narrator::gap() {
    if (!quiet_) out_ << '\n';
}

std::string Narrator::task_name(std::string_view task) {
    auto it = task_colors_.find(task);
    if (it == task_colors_.end())
        it = task_colors_.emplace(std::string(task), static_cast<int>(task_colors_.size())).first;
    return painter_.palette(it->second, task);
}

std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent) {
    std::string result;
    std::size_t start = 0;
    while (start <= text.size()) {
        // One paragraph at a time: explicit newlines in the text are kept as line breaks.
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::istringstream words{std::string(text.substr(start, end - start))};
        std::string word, current(indent);
        bool empty = true;
        while (words >> word) {
            if (!empty && current.size() + 1 + word.size() > width) {
                result += current + '\n';
                current = std::string(indent);
                empty = true;
            }
            if (!empty) current += ' ';
            current += word;
            empty = false;
        }
        result += current;
        if (end == text.size()) break;
        result += '\n';
        start = end + 1;
    }
    return result;
}

} // namespace looplab
