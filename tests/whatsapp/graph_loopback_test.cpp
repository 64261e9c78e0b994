// GraphClient over the real http::Client against a local stand-in for the Graph API: checks the
// wiring (URL, headers, body on the wire) that the pure tests cannot see.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "http/server.hpp"
#include "net/event_loop.hpp"
#include "whatsapp/graph_client.hpp"

namespace wab::whatsapp {
namespace {

// Runs the loop until `done` holds; the limit only bounds a failing test.
bool run_until(net::EventLoop& loop, const std::function<bool()>& done) {
  const TimePoint deadline = Clock::now() + seconds(5);
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    loop.run_once(milliseconds(5));
  }
  return true;
}

TEST(GraphLoopback, PreAcceptAndAGraphErrorOverHttp) {
  net::EventLoop loop;
  http::Client client(loop);
  http::Server server(loop);
  std::optional<http::ServerRequest> seen;
  server.route("POST", "/v24.0/106540352242922/calls",
               [&](const http::ServerRequest& request, http::Responder responder) {
                 seen = request;
                 const auto body = nlohmann::json::parse(request.body, nullptr, false);
                 if (body.value("action", "") == "accept") {
                   responder.send(400,
                                  R"({"error":{"message":"(#138007) Connect Timeout",
                                      "type":"OAuthException","code":138007,"fbtrace_id":"Ax1"}})",
                                  "application/json");
                   return;
                 }
                 responder.send(200, R"({"messaging_product":"whatsapp","success":true})",
                                "application/json");
               });
  const std::uint16_t port = server.listen("127.0.0.1", 0);

  GraphConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v24.0";
  config.access_token = "EAAGloopbackTOKEN";
  GraphClient graph(client, config);

  std::optional<GraphResult> result;
  graph.pre_accept("106540352242922", "wacid.L=", "v=0\r\n", [&](GraphResult r) { result = r; });
  ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
  EXPECT_TRUE(result->ok) << result->message;
  EXPECT_EQ(result->http_status, 200);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->header("authorization"), "Bearer EAAGloopbackTOKEN");
  EXPECT_EQ(seen->header("content-type").substr(0, 16), "application/json");
  EXPECT_EQ(nlohmann::json::parse(seen->body), pre_accept_body("wacid.L=", "v=0\r\n"));

  result.reset();
  graph.accept("106540352242922", "wacid.L=", "v=0\r\n", std::nullopt,
               [&](GraphResult r) { result = r; });
  ASSERT_TRUE(run_until(loop, [&] { return result.has_value(); }));
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->http_status, 400);
  EXPECT_EQ(result->error_code, 138007);
  EXPECT_EQ(result->fbtrace_id, "Ax1");
}

} // namespace
} // namespace wab::whatsapp
