// Stage 01: generators. main() only registers the demos and parses the command line; the lesson is
// in handmade.hpp and generator.hpp, and the demos are in demos/.
#include "demos/demos.hpp"

int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("01-generators", "Stage 01: generators - a function that can stop and resume, keeping its locals");
    app.add({"handmade", "a resumable function written by hand, beside the coroutine version", demo_handmade});
    app.add({"basics", "next(), laziness, range-for, exhaustion, an abandoned generator", demo_basics});
    app.add({"send", "send(): values flow into the generator (a running average)", demo_send});
    app.add({"throw", "throw_into(): an exception raised at the suspended co_yield", demo_throw});
    app.add({"return", "co_return: the value the caller reads when the generator ends", demo_return});
    app.add({"delegate", "yield_from(): delegation, and a chain 100,000 deep", demo_delegate});
    app.add({"threads-vs-coroutines", "OS threads are preempted anywhere; coroutines switch at co_yield",
             demo_threads_vs_coroutines, /*deterministic=*/false});
    app.set_tour("handmade");
    app.set_trace_axis(TraceAxis::Events);   // no loop, no clock: the timeline counts resumes instead
    return app.main(argc, argv);
}
