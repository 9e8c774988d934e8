/// @file
/// @brief The voice of a demo: headings, explanations, pointers into the source, task lines.
///
/// A demo is a small lecture: it says what is about to happen, lets it happen, and says what to read
/// next. Narration keeps those three kinds of text apart so that `--quiet` can drop the lecture and
/// keep the results, and so that every stage speaks in the same layout.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <string_view>

#include "looplab/color.hpp"

namespace looplab {

/// Writes a demo's output. Everything goes to one stream, in order, so a transcript is exactly what
/// the student saw.
class Narrator {
public:
    /// Writes to `out`; colours when `color`; hides the lecture (headings, paragraphs, source
    /// pointers) when `quiet`.
    Narrator(std::ostream& out, bool color, bool quiet);

    /// The banner that opens a demo: its name and one line saying what it shows. StageApp leaves it
    /// out under --quiet.
    void banner(std::string_view name, std::string_view summary);
    /// A section heading inside a demo.
    void heading(std::string_view text);
    /// An explanatory paragraph, word-wrapped to 78 columns.
    void say(std::string_view paragraph);
    /// A pointer into the source: "read run() in sleep_loop.hpp".
    void source(std::string_view pointer);
    /// A line of the demo's own output (results, summaries). Always shown.
    void line(std::string_view text);
    /// A line spoken by a task: its name, coloured, then the text. Always shown.
    void task_line(std::string_view task, std::string_view text);
    /// A blank line (hidden when quiet, like the lecture it separates).
    void gap();

    /// The task's name in its own colour. A task keeps the colour it was first given.
    std::string task_name(std::string_view task);
    /// The painter, for demos that style a word themselves.
    [[nodiscard]] const Painter& paint() const { return painter_; }
    /// The underlying stream, for tables and other preformatted output.
    [[nodiscard]] std::ostream& out() { return out_; }
    /// Whether the lecture is hidden.
    [[nodiscard]] bool quiet() const { return quiet_; }

private:
    std::ostream& out_;
    Painter painter_;
    bool quiet_;
    std::map<std::string, int, std::less<>> task_colors_;
};

/// Word-wraps `text` to `width` columns, each line starting with `indent`. Paragraph breaks ("\n")
/// in the text are kept.
std::string wrap_text(std::string_view text, std::size_t width, std::string_view indent);

} // namespace looplab
