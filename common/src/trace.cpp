#include "looplab/trace.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "looplab/narration.hpp"

namespace looplab {

std::string_view to_string(TraceKind kind) {
    switch (kind) {
    case TraceKind::Resume: return "resume";
    case TraceKind::Suspend: return "suspend";
    case TraceKind::IoReady: return "io-ready";
    case TraceKind::TimerDue: return "timer-due";
    case TraceKind::Done: return "done";
    case TraceKind::Error: return "error";
    case TraceKind::Note: return "note";
    }
    return "?";
}

Tracer::Tracer(const Clock& clock) : clock_(clock) {}

void Tracer::log_to(Narrator* narrator) { log_ = narrator; }
void Tracer::keep_events(bool keep) { keep_ = keep; }

int Tracer::task_index(std::string_view task) {
    auto it = index_.find(task);
    if (it != index_.end()) return it->second;
    const int id = static_cast<int>(tasks_.size());
    tasks_.emplace_back(task);
    index_.emplace(std::string(task), id);
    return id;
}

void Tracer::record(TraceKind kind, std::string_view task, std::string_view detail) {
    if (!on()) return;
    const Duration at = clock_.now();
    const int id = task_index(task);
    ++recorded_;
    if (log_ != nullptr) {
        // On the Events axis the time means nothing (stage 01 has no loop clock): number the events.
        const std::string when = axis_ == TraceAxis::Events ? "#" + std::to_string(recorded_) : format_time(at);
        char head[64];
        std::snprintf(head, sizeof head, "  [trace %s] %-9s ", when.c_str(), std::string(to_string(kind)).c_str());
        std::string text = log_->paint().dim(head) + log_->task_name(task);
        if (!detail.empty()) text += log_->paint().dim(std::string("  ") + std::string(detail));
        log_->line(text);
    }
    if (keep_) events_.push_back(TraceEvent{at, id, kind, std::string(detail)});
}

std::string Tracer::timeline(std::size_t width) const {
    if (width < 10) width = 10;
    std::ostringstream out;
    if (events_.empty()) {
        out << "timeline: no scheduler events were recorded\n";
        return out.str();
    }
    const Duration end = events_.back().at;
    const bool by_time = axis_ == TraceAxis::Time && end > Duration::zero();
    const std::size_t n = events_.size();
    // Where an event lands: its time as a fraction of the run, or (no time passed) its position.
    auto column = [&](std::size_t i) -> std::size_t {
        double frac = by_time ? to_seconds(events_[i].at) / to_seconds(end)
                              : (n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0);
        auto c = static_cast<std::size_t>(frac * static_cast<double>(width - 1) + 0.5);
        return std::min(c, width - 1);
    };

    std::size_t name_width = 4;
    for (const auto& t : tasks_) name_width = std::max(name_width, t.size());
    std::vector<std::string> rows(tasks_.size(), std::string(width, ' '));
    std::vector<long> first(tasks_.size(), -1), last(tasks_.size(), -1), run_start(tasks_.size(), -1);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& e = events_[i];
        const auto t = static_cast<std::size_t>(e.task);
        const auto c = static_cast<long>(column(i));
        if (first[t] < 0) first[t] = c;
        last[t] = c;
        if (e.kind == TraceKind::Resume) run_start[t] = c;
        const bool ends_run = e.kind == TraceKind::Suspend || e.kind == TraceKind::Done || e.kind == TraceKind::Error;
        if (ends_run && run_start[t] >= 0) {
            for (long x = run_start[t]; x <= c; ++x) rows[t][static_cast<std::size_t>(x)] = '#';
            run_start[t] = -1;
        }
        if (e.kind == TraceKind::Error) rows[t][static_cast<std::size_t>(c)] = '!';
    }
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
        if (run_start[t] >= 0)   // resumed and never suspended: it ran to the end of the record
            for (long x = run_start[t]; x <= last[t]; ++x) rows[t][static_cast<std::size_t>(x)] = '#';
        for (long x = first[t]; x <= last[t]; ++x)
            if (rows[t][static_cast<std::size_t>(x)] == ' ') rows[t][static_cast<std::size_t>(x)] = '.';
    }

    if (by_time)
        out << "timeline: 0.000s to " << format_time(end) << ", one column = "
            << format_time(Duration(end.count() / static_cast<long long>(width - 1))) << "\n";
    else
        out << "timeline: " << n << " events in order (the axis counts events, not time)\n";
    out << "          # running   . waiting   ! failed\n";
    // Axis: a tick every 10 columns, labelled with its time (or event number).
    std::string axis(width + 10, ' '), ticks(width, '-');
    for (std::size_t c = 0; c < width; c += 10) {
        ticks[c] = '|';
        std::string label = by_time ? format_time(Duration(static_cast<long long>(
                                          static_cast<double>(end.count()) * static_cast<double>(c) /
                                          static_cast<double>(width - 1))))
                                    : std::to_string(c * (n - 1) / (width - 1));
        axis.replace(c, label.size(), label);
    }
    while (!axis.empty() && axis.back() == ' ') axis.pop_back();
    out << std::string(name_width + 2, ' ') << axis << '\n';
    out << std::string(name_width + 2, ' ') << ticks << '\n';
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
        std::string row = rows[t];
        while (!row.empty() && row.back() == ' ') row.pop_back();
        out << tasks_[t] << std::string(name_width - tasks_[t].size(), ' ') << "  " << row << '\n';
    }
    return out.str();
}

std::string json_escape(std::string_view text) {
    std::string s;
    for (char ch : text) {
        switch (ch) {
        case '"': s += "\\\""; break;
        case '\\': s += "\\\\"; break;
        case '\n': s += "\\n"; break;
        case '\t': s += "\\t"; break;
        case '\r': s += "\\r"; break;
        default:
            if (static_cast<unsigned char>(ch) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(ch)));
                s += buf;
            } else {
                s += ch;
            }
        }
    }
    return s;
}

std::string Tracer::chrome_json() const {
    // Timestamps are microseconds. On the Events axis, or when no clock time passed, each event is
    // one microsecond after the last, so the slices are visible and in order.
    const bool by_time = axis_ == TraceAxis::Time && !events_.empty() && events_.back().at > Duration::zero();
    auto ts = [&](std::size_t i) {
        double us = by_time ? to_seconds(events_[i].at) * 1e6 : static_cast<double>(i);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f", us);
        return std::string(buf);
    };
    std::ostringstream out;
    out << "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"time_axis\":\""
        << (by_time ? "clock" : "event sequence") << "\"},\"traceEvents\":[";
    bool first = true;
    auto sep = [&] { out << (first ? "\n" : ",\n"); first = false; };
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
        sep();
        out << R"({"name":"thread_name","ph":"M","pid":1,"tid":)" << t + 1
            << R"(,"args":{"name":")" << json_escape(tasks_[t]) << "\"}}";
    }
    std::vector<long> open(tasks_.size(), -1);   // index of the Resume that started a running slice
    for (std::size_t i = 0; i < events_.size(); ++i) {
        const auto& e = events_[i];
        const auto t = static_cast<std::size_t>(e.task);
        if (e.kind == TraceKind::Resume) {
            open[t] = static_cast<long>(i);
            continue;
        }
        const bool ends_run = e.kind == TraceKind::Suspend || e.kind == TraceKind::Done || e.kind == TraceKind::Error;
        if (ends_run && open[t] >= 0) {
            const auto r = static_cast<std::size_t>(open[t]);
            const double dur = std::stod(ts(i)) - std::stod(ts(r));
            char d[32];
            std::snprintf(d, sizeof d, "%.3f", dur);
            sep();
            out << R"({"name":"run","ph":"X","pid":1,"tid":)" << t + 1 << ",\"ts\":" << ts(r)
                << ",\"dur\":" << d << R"(,"args":{"resumed":")" << json_escape(events_[r].detail)
                << R"(","then":")" << to_string(e.kind) << ' ' << json_escape(e.detail) << "\"}}";
            open[t] = -1;
        }
        if (e.kind != TraceKind::Suspend) {
            sep();
            out << R"({"name":")" << to_string(e.kind) << R"(","ph":"i","s":"t","pid":1,"tid":)" << t + 1
                << ",\"ts\":" << ts(i) << R"(,"args":{"detail":")" << json_escape(e.detail) << "\"}}";
        }
    }
    out << "\n]}\n";
    return out.str();
}

} // namespace looplab
