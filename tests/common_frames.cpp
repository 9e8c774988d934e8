// common/frames: the counters a promise type's operator new and delete report to.
#include <doctest/doctest.h>

#include "looplab/frames.hpp"

using namespace looplab;

TEST_CASE("allocate and deallocate are counted, and alive() is their difference") {
    const frames::Counts before = frames::counts();
    void* a = frames::allocate(64);
    void* b = frames::allocate(128);
    CHECK(frames::counts().allocated - before.allocated == 2);
    CHECK(frames::counts().alive() - before.alive() == 2);
    frames::deallocate(a, 64);
    CHECK(frames::counts().freed - before.freed == 1);
    frames::deallocate(b, 128);
    CHECK(frames::counts().alive() == before.alive());
}
