#include "app/dashboard_auth.hpp"

#include <openssl/crypto.h>

#include "common/random.hpp"

namespace wab::app {

bool same_secret(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ')
      pair.remove_prefix(1);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      return pair.substr(equals + 1);
    }
  }
  return {};
}

bool DashboardAuth::bearer_ok(const http::ServerRequest& request) const {
  return !token_.empty() && same_secret(request.header("authorization"), "Bearer " + token_);
}

int DashboardAuth::find(const http::ServerRequest& request, TimePoint now) {
  std::erase_if(sessions_, [now](const Session& s) { return s.expires <= now; });
  const std::string_view id = cookie_value(request.header("cookie"), kCookie);
  if (id.empty()) return -1;
  // Every session is compared in full: the time taken does not tell which one nearly matched.
  int found = -1;
  for (std::size_t i = 0; i < sessions_.size(); ++i) {
    if (same_secret(id, sessions_[i].id)) found = static_cast<int>(i);
  }
  return found;
}

bool DashboardAuth::allowed(const http::ServerRequest& request, TimePoint now) {
  return bearer_ok(request) || find(request, now) >= 0;
}

std::string DashboardAuth::open_session(TimePoint now, bool secure) {
  if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
  sessions_.push_back({random_ice_string(43), now + kSessionLifetime}); // ~256 random bits
  const auto max_age = std::chrono::duration_cast<seconds>(kSessionLifetime).count();
  return std::string(kCookie) + "=" + sessions_.back().id +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (secure ? "; Secure" : "");
}

std::string DashboardAuth::close_session(const http::ServerRequest& request) {
  const int index = find(request, Clock::now());
  if (index >= 0) sessions_.erase(sessions_.begin() + index);
  return std::string(kCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
}

} // namespace wab::app
