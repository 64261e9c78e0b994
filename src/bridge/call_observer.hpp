#pragma once
// CallObserver: what the app learns about calls as they happen (a dashboard pushes it to a
// browser): calls starting and ending, setup steps, transcript lines. Set on CallServices by the
// app, which implements it; the bridge only calls it. Nothing per packet: media figures are read
// from CallRegistry::snapshots() on the observer's own timer.
//
// Threads: called on the calls' loop. Lifetime: must outlive the calls (null: nobody listens).
// Implementations must not act on the calls or the registry from inside a callback.
#include <string>
#include <string_view>

#include "bridge/call_stats.hpp"

namespace wab::bridge {

class CallObserver {
public:
  virtual ~CallObserver() = default;
  // A call the registry now holds by its id (a placed call: once Meta gave it one).
  virtual void call_started(const CallSnapshot& call) = 0;
  // A step of the call's setup or life: "pre_accept", "accept", "caller_connected",
  // "agent_connected", "first_agent_audio", "callee_answered". `call` is its state right after.
  virtual void call_step(const CallSnapshot& call, std::string_view step) = 0;
  // A line of the conversation, as logged: speaker "caller" or "agent".
  virtual void transcript(const std::string& call_id, std::string_view speaker,
                          const std::string& text) = 0;
  // The call ended and is about to be freed: its last figures, the cause it logged, and its
  // outcome (answered | announcement | not_answered).
  virtual void call_ended(const CallSnapshot& call, const std::string& cause,
                          const std::string& outcome) = 0;
};

} // namespace wab::bridge
