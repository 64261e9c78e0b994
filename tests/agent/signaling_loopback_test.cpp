// RealtimeSignaling over the real http::Client against a local stand-in for OpenAI: the multipart
// request as the server receives it, the 201 answer with a Location header, and hang-up.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "agent/realtime_signaling.hpp"
#include "agent/session_config.hpp"
#include "http/server.hpp"
#include "net/event_loop.hpp"

namespace wab::agent {
namespace {

bool run_until(net::EventLoop& loop, const std::function<bool()>& done) {
  const TimePoint deadline = Clock::now() + seconds(5);
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    loop.run_once(milliseconds(5));
  }
  return true;
}

constexpr const char* kLoopbackAnswer = "v=0\r\no=- 9 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";

TEST(SignalingLoopback, CreateCallAndHangupOverHttp) {
  net::EventLoop loop;
  http::Client client(loop);
  http::Server server(loop);
  std::optional<http::ServerRequest> seen_call;
  std::optional<http::ServerRequest> seen_hangup;
  server.route("POST", "/v1/realtime/calls",
               [&](const http::ServerRequest& request, http::Responder responder) {
                 seen_call = request;
                 http::ServerResponse response;
                 response.status = 201;
                 response.content_type = "application/sdp";
                 response.body = kLoopbackAnswer;
                 response.headers.emplace_back("Location", "/v1/realtime/calls/rtc_u1_loop");
                 responder.send(std::move(response));
               });
  server.route("POST", "/v1/realtime/calls/rtc_u1_loop/hangup",
               [&](const http::ServerRequest& request, http::Responder responder) {
                 seen_hangup = request;
                 responder.send(200, "", "application/json");
               });
  const std::uint16_t port = server.listen("127.0.0.1", 0);

  RealtimeConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  config.api_key = "sk-loopback";
  RealtimeSignaling signaling(client, config);

  std::optional<CallResult> result;
  const nlohmann::json session = build_session(SessionConfig{});
  signaling.create_call("v=0\r\noffer\r\n", session, [&](CallResult r) { result = r; });
  ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
  ASSERT_TRUE(result->ok) << result->error;
  EXPECT_EQ(result->http_status, 201);
  EXPECT_EQ(result->answer_sdp, kLoopbackAnswer);
  EXPECT_EQ(result->call_id, "rtc_u1_loop");
  ASSERT_TRUE(seen_call.has_value());
  EXPECT_EQ(seen_call->header("authorization"), "Bearer sk-loopback");
  EXPECT_EQ(seen_call->header("content-type").substr(0, 30), "multipart/form-data; boundary=");
  EXPECT_NE(
      seen_call->body.find("name=\"sdp\"\r\nContent-Type: application/sdp\r\n\r\nv=0\r\noffer\r\n"),
      std::string::npos);
  EXPECT_NE(seen_call->body.find(session.dump()), std::string::npos);

  std::optional<HangupResult> hung_up;
  signaling.hangup(result->call_id, [&](HangupResult r) { hung_up = r; });
  ASSERT_TRUE(run_until(loop, [&] { return hung_up.has_value(); }));
  EXPECT_TRUE(hung_up->ok) << hung_up->error;
  ASSERT_TRUE(seen_hangup.has_value());
  EXPECT_EQ(seen_hangup->header("authorization"), "Bearer sk-loopback");
}

} // namespace
} // namespace wab::agent
