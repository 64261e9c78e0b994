#pragma once
// Who may see the dashboard and its API: a request carrying the admin token
// ("Authorization: Bearer <ADMIN_TOKEN>", for scripts) or the cookie of a browser session that
// signed in with that token once (the page's login form; EventSource cannot send headers). The
// cookie holds a random session id, never the token: sessions live in memory for 12 hours (a
// restart signs everybody out), at most 32 at a time (the oldest goes first).
//
// Threads: the loop's thread only.
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "http/server_request.hpp"

namespace wab::app {

// Constant-time comparison (no early exit on the first differing byte); lengths may leak.
bool same_secret(std::string_view given, std::string_view expected);

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or empty.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

class DashboardAuth {
public:
  static constexpr std::string_view kCookie = "wab_dashboard";
  static constexpr Duration kSessionLifetime = std::chrono::hours(12);
  static constexpr std::size_t kMaxSessions = 32;

  explicit DashboardAuth(std::string admin_token) : token_(std::move(admin_token)) {}

  bool bearer_ok(const http::ServerRequest& request) const;
  // Bearer token or a live session cookie.
  bool allowed(const http::ServerRequest& request, TimePoint now);
  // Starts a session; returns the Set-Cookie value. `secure`: the page came over HTTPS (a TLS
  // proxy says so), the cookie then never travels in clear.
  std::string open_session(TimePoint now, bool secure);
  // Ends the request's session (if any); returns the Set-Cookie value that clears it.
  std::string close_session(const http::ServerRequest& request);
  std::size_t sessions() const { return sessions_.size(); }

private:
  struct Session {
    std::string id;
    TimePoint expires;
  };
  // Index of the request's live session, or -1.
  int find(const http::ServerRequest& request, TimePoint now);

  std::string token_;
  std::vector<Session> sessions_; // oldest first
};

} // namespace wab::app
