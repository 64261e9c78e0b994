#pragma once
#include <functional>

#include "net/event_loop.hpp"

namespace wab::cluster::test {

// Runs the loop until `done()` or `limit` passed (a failure bound, not a wait); returns done().
inline bool loop_until(net::EventLoop& loop, const std::function<bool()>& done,
                       Duration limit = seconds(10)) {
  const auto deadline = loop.now() + limit;
  while (!done() && loop.now() < deadline)
    loop.run_once(milliseconds(20));
  return done();
}

} // namespace wab::cluster::test
