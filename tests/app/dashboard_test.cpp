// The dashboard's pieces without a network: what DashboardState keeps and answers as calls start,
// step, speak and end (timeline, transcript, packet rates, the recent list and its bound), and
// DashboardAuth's token and session checks.
#include <gtest/gtest.h>

#include "app/dashboard_auth.hpp"
#include "app/dashboard_state.hpp"

namespace wab::app {
namespace {

bridge::CallSnapshot snap(const std::string& id, Duration age, const std::string& phase) {
  bridge::CallSnapshot s;
  s.call_id = id;
  s.phone_number_id = "pn-1";
  s.phase = phase;
  s.age = age;
  return s;
}

TEST(DashboardState, CallLifecycle) {
  DashboardState state;
  auto c = snap("c1", milliseconds(0), "answering");
  const auto started = state.started(c, 1'000'000);
  EXPECT_EQ(started["call_id"], "c1");
  EXPECT_EQ(started["direction"], "inbound");
  EXPECT_EQ(started["steps"][0]["step"], "webhook");
  EXPECT_EQ(started["started_ts"], 1'000'000);

  c.age = milliseconds(120);
  c.stats.pre_accept = milliseconds(120);
  const auto step = state.step(c, "pre_accept", 1'000'120);
  EXPECT_EQ(step["step"], "pre_accept");
  EXPECT_EQ(step["setup_ms"]["pre_accept"], 120);
  EXPECT_TRUE(step["setup_ms"]["accept"].is_null());
  ASSERT_EQ(step["steps"].size(), 2u);
  EXPECT_EQ(step["steps"][1]["at_ms"], 120);

  const auto line = state.transcript("c1", "caller", "hello there", 1'000'500);
  EXPECT_EQ(line["speaker"], "caller");
  EXPECT_EQ(line["text"], "hello there");
  state.transcript("unknown", "agent", "ignored for the listing", 1'000'600);

  auto all = state.calls();
  ASSERT_EQ(all["live"].size(), 1u);
  ASSERT_EQ(all["live"][0]["transcript"].size(), 1u);
  EXPECT_EQ(all["live"][0]["transcript"][0]["text"], "hello there");
  EXPECT_TRUE(all["recent"].empty());

  c.age = seconds(9);
  c.phase = "ended";
  const auto ended = state.ended(c, "caller_hung_up", "answered", 1'009'000);
  EXPECT_EQ(ended["cause"], "caller_hung_up");
  EXPECT_EQ(ended["outcome"], "answered");
  EXPECT_EQ(ended["duration_ms"], 9000);
  EXPECT_EQ(ended["transcript"].size(), 1u);
  all = state.calls();
  EXPECT_TRUE(all["live"].empty());
  ASSERT_EQ(all["recent"].size(), 1u);
  EXPECT_EQ(all["recent"][0]["call_id"], "c1");
}

TEST(DashboardState, PacketRatesFromSuccessiveTicks) {
  DashboardState state;
  auto c = snap("c1", seconds(1), "accepted");
  state.started(c, 0);
  const TimePoint t0 = Clock::now();
  c.stats.to_agent.packets = 100;
  c.stats.to_caller.packets = 40;
  auto first = state.tick({c}, t0, 0);
  EXPECT_EQ(first["calls"][0]["media"]["to_agent"]["pps"], 0); // no previous sample yet
  c.stats.to_agent.packets = 200;
  c.stats.to_caller.packets = 65;
  c.stats.caller_leg.reports = 3;
  c.stats.caller_leg.fraction_lost = 0.025;
  c.stats.caller_leg.rtt_seconds = 0.0421;
  auto second = state.tick({c}, t0 + seconds(2), 0);
  const auto& call = second["calls"][0];
  EXPECT_DOUBLE_EQ(call["media"]["to_agent"]["pps"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(call["media"]["to_caller"]["pps"].get<double>(), 12.5);
  EXPECT_EQ(call["media"]["to_agent"]["packets"], 200);
  EXPECT_DOUBLE_EQ(call["legs"]["whatsapp"]["loss_percent"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(call["legs"]["whatsapp"]["rtt_ms"].get<double>(), 42.1);
  EXPECT_TRUE(call["legs"]["agent"]["rtt_ms"].is_null());
  EXPECT_FALSE(call.contains("transcript")); // ticks stay small
}

TEST(DashboardState, PlacedCallWithoutIdIsNotListedLive) {
  DashboardState state;
  auto placing = snap("", seconds(1), "answering");
  placing.outbound = true;
  EXPECT_TRUE(state.tick({placing}, Clock::now(), 0)["calls"].empty());
  EXPECT_EQ(state.live_count(), 0u);
}

TEST(DashboardState, RecentListKeepsTheLatestFifty) {
  DashboardState state;
  for (int i = 0; i < 60; ++i) {
    auto c = snap("c" + std::to_string(i), seconds(1), "answering");
    state.started(c, 0);
    state.ended(c, "accept_window_expired", "not_answered", i);
  }
  const auto all = state.calls();
  ASSERT_EQ(all["recent"].size(), DashboardState::kRecentCalls);
  EXPECT_EQ(all["recent"][0]["call_id"], "c59"); // newest first
  EXPECT_EQ(all["recent"][49]["call_id"], "c10");
  EXPECT_EQ(state.live_count(), 0u);
}

TEST(DashboardState, TranscriptIsBoundedPerCall) {
  DashboardState state;
  state.started(snap("c1", {}, "accepted"), 0);
  for (std::size_t i = 0; i < DashboardState::kTranscriptLines + 10; ++i)
    state.transcript("c1", "agent", "line " + std::to_string(i), 0);
  const auto lines = state.calls()["live"][0]["transcript"];
  ASSERT_EQ(lines.size(), DashboardState::kTranscriptLines);
  EXPECT_EQ(lines[0]["text"], "line 10");
}

http::ServerRequest request_with(std::string name, std::string value) {
  http::ServerRequest r;
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

TEST(DashboardAuth, BearerToken) {
  DashboardAuth auth("s3cret-token");
  const TimePoint now = Clock::now();
  EXPECT_TRUE(auth.allowed(request_with("authorization", "Bearer s3cret-token"), now));
  EXPECT_FALSE(auth.allowed(request_with("authorization", "Bearer s3cret-tokem"), now));
  EXPECT_FALSE(auth.allowed(request_with("authorization", "Bearer s3cret-token "), now));
  EXPECT_FALSE(auth.allowed(request_with("authorization", "s3cret-token"), now));
  EXPECT_FALSE(auth.allowed(http::ServerRequest{}, now));
  DashboardAuth off("");
  EXPECT_FALSE(off.bearer_ok(request_with("authorization", "Bearer ")));
}

TEST(DashboardAuth, SessionCookie) {
  DashboardAuth auth("s3cret-token");
  const TimePoint now = Clock::now();
  const std::string set_cookie = auth.open_session(now, false);
  EXPECT_EQ(set_cookie.find("s3cret-token"), std::string::npos); // the token never goes back
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);
  EXPECT_NE(auth.open_session(now, true).find("; Secure"), std::string::npos);
  const std::string pair = set_cookie.substr(0, set_cookie.find(';')); // "wab_dashboard=<id>"
  ASSERT_GT(pair.size(), std::string("wab_dashboard=").size() + 40);

  const auto with_cookie = request_with("cookie", "theme=dark; " + pair + "; other=1");
  EXPECT_TRUE(auth.allowed(with_cookie, now));
  EXPECT_FALSE(auth.allowed(request_with("cookie", pair + "x"), now));
  EXPECT_FALSE(auth.allowed(request_with("cookie", "wab_dashboard="), now));
  // Expired after its lifetime; signed out by logout.
  EXPECT_FALSE(auth.allowed(with_cookie, now + DashboardAuth::kSessionLifetime));
  const std::string again = auth.open_session(now, false);
  const auto second = request_with("cookie", again.substr(0, again.find(';')));
  EXPECT_TRUE(auth.allowed(second, now));
  EXPECT_NE(auth.close_session(second).find("Max-Age=0"), std::string::npos);
  EXPECT_FALSE(auth.allowed(second, now));
}

TEST(DashboardAuth, SessionsAreBounded) {
  DashboardAuth auth("t");
  const TimePoint now = Clock::now();
  const std::string first = auth.open_session(now, false);
  for (std::size_t i = 0; i < DashboardAuth::kMaxSessions; ++i)
    auth.open_session(now, false);
  EXPECT_EQ(auth.sessions(), DashboardAuth::kMaxSessions);
  EXPECT_FALSE(auth.allowed(request_with("cookie", first.substr(0, first.find(';'))), now));
}

TEST(DashboardAuth, CookieValue) {
  EXPECT_EQ(cookie_value("a=1; b=2", "b"), "2");
  EXPECT_EQ(cookie_value("a=1;b=2", "b"), "2");
  EXPECT_EQ(cookie_value("ab=1; b=2", "a"), "");
  EXPECT_EQ(cookie_value("", "a"), "");
  EXPECT_EQ(cookie_value("a", "a"), "");
}

} // namespace
} // namespace wab::app
