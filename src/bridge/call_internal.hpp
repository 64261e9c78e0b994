#pragma once
// Pieces shared by the files that implement Call (call.cpp, call_rollover.cpp); not for other
// users.
#include <memory>
#include <utility>

namespace wab::bridge::detail {

inline constexpr const char* kDataChannelLabel = "oai-events";

// Calls back into the call only while it still exists.
template <typename F> auto guarded(const std::shared_ptr<bool>& alive, F f) {
  return [weak = std::weak_ptr<bool>(alive), f = std::move(f)](auto&&... args) mutable {
    if (auto strong = weak.lock(); strong && *strong) f(std::forward<decltype(args)>(args)...);
  };
}

} // namespace wab::bridge::detail
