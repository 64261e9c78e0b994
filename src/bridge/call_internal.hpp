#pragma once
// Pieces shared by the files that implement Call (call.cpp, call_rollover.cpp); not for other
// users.
#include <memory>
#include <string>
#include <utility>

#include "agent/realtime_signaling.hpp"
#include "common/log.hpp"

namespace wab::bridge::detail {

inline constexpr const char* kDataChannelLabel = "oai-events";

// Calls back into the call only while it still exists.
template <typename F> auto guarded(const std::shared_ptr<bool>& alive, F f) {
  return [weak = std::weak_ptr<bool>(alive), f = std::move(f)](auto&&... args) mutable {
    if (auto strong = weak.lock(); strong && *strong) f(std::forward<decltype(args)>(args)...);
  };
}

// Ends an OpenAI session; a failure is only logged (the session then times out on its own).
inline void hang_up_session(agent::RealtimeSignaling& realtime, const std::string& agent_call_id,
                            const std::string& call_id) {
  realtime.hangup(agent_call_id, [call_id](const agent::HangupResult& h) {
    if (!h.ok) log::warn("agent_hangup_failed", {{"call_id", call_id}, {"error", h.error}});
  });
}

} // namespace wab::bridge::detail
