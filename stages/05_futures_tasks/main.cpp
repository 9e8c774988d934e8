// Stage 05: futures and tasks. (demos come next)
#include "looplab/cli.hpp"
#include "run.hpp"
int main(int argc, char** argv) {
    using namespace looplab;
    StageApp app("05-futures-tasks", "Stage 05: futures and tasks - the loop runs callbacks; Futures and Tasks turn them back into coroutines");
    return app.main(argc, argv);
}
