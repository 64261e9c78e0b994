#pragma once
// The one clock every sans-I/O engine is driven by. Engines never read it themselves: the owner
// passes `now` in, which keeps them deterministic under test.
#include <chrono>

namespace wab {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

} // namespace wab
