// Stage 05: futures and tasks. main() only registers the demos; the lesson is in the headers (start
// with event_loop.hpp, then future.hpp and task.hpp), and the demos are in demos/.
#include "demos/demos.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("05-futures-tasks",
                 "Stage 05: futures and tasks - the loop runs callbacks; Futures and Tasks turn them back into coroutines");
    app.add({"callbacks", "a program written with plain callbacks, then as a coroutine", demo_callbacks});
    app.add({"await-vs-task", "awaiting a coroutine does not cede control; creating a task does", demo_await_vs_task});
    app.add({"count", "five counters as tasks, each sleeping 1 s then 2 s: 3 s, not 15 s", demo_count});
    app.add({"selfish", "a task that never awaits starves the others; debug mode; sleep(0) fixes it", demo_selfish});
    app.add({"recv-chain", "one sock_recv() through loop, callback, Future, Task and coroutine, from the trace",
             demo_recv_chain});
    app.set_tour("await-vs-task");
    if (auto code = app.parse(argc, argv)) return *code;
    return app.run();
}
