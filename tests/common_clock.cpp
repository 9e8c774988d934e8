#include <doctest/doctest.h>
#include "looplab/clock.hpp"
