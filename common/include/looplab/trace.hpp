/// @file
/// @brief One recorder of scheduler decisions, three ways to look at it.
///
/// Every loop stage reports the same few facts to a Tracer: a task was resumed, it suspended (and on
/// what), its I/O became ready, its timer fell due, it finished, it failed; stage 05 adds notes on the
/// steps between (a system call, a Future completed, a callback scheduled). The recorder keeps them
/// in order with the clock's time, and offers three views:
///  - the line log (`--trace`): each event printed the moment it happens, between the demo's lines;
///  - the timeline (`--timeline`): an ASCII chart of every task over time, drawn after the run;
///  - Chrome trace-event JSON (`--trace-json FILE`), which Perfetto or chrome://tracing draws.
///
/// What it costs: when no view is on, a record call is one branch, and a loop should test `on()`
/// before it builds a detail string. When a view is on, every event is a small heap record.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "looplab/clock.hpp"

namespace looplab {

class Narrator;

/// What happened to a task.
enum class TraceKind {
    Resume,   ///< the scheduler handed the CPU to the task
    Suspend,  ///< the task gave it back; the detail says what it now waits for
    IoReady,  ///< a file descriptor the task waits on became ready
    TimerDue, ///< the task's deadline arrived
    Done,     ///< the task finished; the detail may hold its result
    Error,    ///< an exception escaped the task; the detail says which
    Note,     ///< a step inside a callback worth seeing: a system call made, a Future completed, a
              ///< callback scheduled (stage 05 follows one recv() through them)
};

/// The word the line log prints for a kind ("resume", "suspend", ...).
std::string_view to_string(TraceKind kind);

/// What the timeline's and the JSON's horizontal axis measures.
enum class TraceAxis {
    Time,   ///< clock time (falls back to Events when no clock time passed)
    Events, ///< the order of events: for stages without a loop clock, such as stage 01
};

/// One recorded fact.
struct TraceEvent {
    Duration at;        ///< clock time when it was recorded
    int task;           ///< index into Tracer::tasks()
    TraceKind kind;     ///< what happened
    std::string detail; ///< free text: the awaited event, the fd, the result, the error
};

/// Records scheduler events; see the file comment for the three views.
class Tracer {
public:
    /// A tracer that reads time from `clock` (which must outlive it). It starts switched off.
    explicit Tracer(const Clock& clock);

    /// Turns on the line log: each event is printed through `narrator` as it is recorded, stamped
    /// with its clock time, or with its number on the Events axis.
    void log_to(Narrator* narrator);
    /// Keeps events in memory for the timeline, the JSON file, or a test that inspects them.
    void keep_events(bool keep);
    /// Chooses the axis of the timeline and the JSON file (Time unless told otherwise).
    void set_axis(TraceAxis axis) { axis_ = axis; }
    /// True when any view is on. Loops test it before building detail strings.
    [[nodiscard]] bool on() const { return log_ != nullptr || keep_; }

    /// Records that `task` is resumed.
    void resume(std::string_view task, std::string_view detail = {}) { record(TraceKind::Resume, task, detail); }
    /// Records that `task` suspended, waiting for `awaiting`.
    void suspend(std::string_view task, std::string_view awaiting) { record(TraceKind::Suspend, task, awaiting); }
    /// Records that the I/O `task` waits for is ready.
    void io_ready(std::string_view task, std::string_view what) { record(TraceKind::IoReady, task, what); }
    /// Records that the timer of `task` fell due.
    void timer_due(std::string_view task, std::string_view what = {}) { record(TraceKind::TimerDue, task, what); }
    /// Records that `task` finished.
    void done(std::string_view task, std::string_view result = {}) { record(TraceKind::Done, task, result); }
    /// Records that an exception escaped `task`.
    void error(std::string_view task, std::string_view what) { record(TraceKind::Error, task, what); }
    /// Records a step that `who` (a callback, a Future) took: "recv() read 12 bytes".
    void note(std::string_view who, std::string_view what) { record(TraceKind::Note, who, what); }
    /// Records any event; the named helpers above are the usual way in.
    void record(TraceKind kind, std::string_view task, std::string_view detail);

    /// The kept events, oldest first.
    [[nodiscard]] const std::vector<TraceEvent>& events() const { return events_; }
    /// Task names in the order they first appeared; TraceEvent::task indexes this.
    [[nodiscard]] const std::vector<std::string>& tasks() const { return tasks_; }

    /// Draws the kept events as an ASCII chart `width` columns wide: one row per task, `#` where it
    /// ran, `.` where it waited, `!` where it failed, blank before its first and after its last event.
    /// With the Events axis, or when no clock time passed at all, columns count events instead.
    [[nodiscard]] std::string timeline(std::size_t width = 60) const;
    /// The kept events in Chrome's trace-event format: each resume..suspend becomes a complete event
    /// ("X") on the task's own track, the other kinds instant events ("i").
    [[nodiscard]] std::string chrome_json() const;

private:
    int task_index(std::string_view task);

    const Clock& clock_;
    Narrator* log_ = nullptr;
    bool keep_ = false;
    TraceAxis axis_ = TraceAxis::Time;
    std::size_t recorded_ = 0;   // events recorded so far, kept or not
    std::vector<TraceEvent> events_;
    std::vector<std::string> tasks_;
    std::map<std::string, int, std::less<>> index_;
};

/// Escapes `text` for use inside a JSON string literal.
std::string json_escape(std::string_view text);

} // namespace looplab
