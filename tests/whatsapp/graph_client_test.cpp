#include "whatsapp/graph_client.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace wab::whatsapp {
namespace {

using nlohmann::json;

constexpr const char* kToken = "EAAGtokenSECRET123";
constexpr const char* kSdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

GraphConfig test_config() {
  GraphConfig config;
  config.access_token = kToken;
  return config;
}

std::string header(const http::Request& request, std::string_view name) {
  for (const auto& [k, v] : request.headers) {
    if (k == name) return v;
  }
  return {};
}

http::Response response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers = {{"content-type", "application/json; charset=UTF-8"}};
  r.body = std::move(body);
  return r;
}

// Records requests instead of sending them; the test answers them.
struct FakeHttp {
  std::vector<http::Request> requests;
  std::vector<http::Client::Callback> callbacks;
  GraphClient::Sender sender() {
    return [this](http::Request request, http::Client::Callback done) {
      requests.push_back(std::move(request));
      callbacks.push_back(std::move(done));
    };
  }
};

TEST(GraphApi, ActionBodiesMatchTheGraphApi) {
  EXPECT_EQ(
      pre_accept_body("wacid.A=", kSdp),
      json::parse(R"({"messaging_product":"whatsapp","call_id":"wacid.A=","action":"pre_accept",
                            "session":{"sdp_type":"answer","sdp":"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"}})"));
  EXPECT_EQ(accept_body("wacid.A=", "v=0\r\n", std::nullopt),
            json::parse(R"({"messaging_product":"whatsapp","call_id":"wacid.A=","action":"accept",
                            "session":{"sdp_type":"answer","sdp":"v=0\r\n"}})"));
  EXPECT_EQ(accept_body("wacid.A=", "v=0\r\n", "cb-1"),
            json::parse(R"({"messaging_product":"whatsapp","call_id":"wacid.A=","action":"accept",
                            "session":{"sdp_type":"answer","sdp":"v=0\r\n"},
                            "biz_opaque_callback_data":"cb-1"})"));
  EXPECT_EQ(
      reject_body("wacid.A="),
      json::parse(R"({"messaging_product":"whatsapp","call_id":"wacid.A=","action":"reject"})"));
  EXPECT_EQ(
      terminate_body("wacid.A="),
      json::parse(R"({"messaging_product":"whatsapp","call_id":"wacid.A=","action":"terminate"})"));
  EXPECT_EQ(connect_body("13175551399", "v=0\r\n", std::nullopt),
            json::parse(R"({"messaging_product":"whatsapp","to":"13175551399","action":"connect",
                            "session":{"sdp_type":"offer","sdp":"v=0\r\n"}})"));
}

TEST(GraphApi, RequestShape) {
  GraphConfig config = test_config();
  config.base_url = "https://graph.example.test/v24.0/";
  const http::Request r = build_calls_request(config, "106540352242922", reject_body("wacid.A"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://graph.example.test/v24.0/106540352242922/calls");
  EXPECT_EQ(header(r, "Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r.body), reject_body("wacid.A"));
  // The SDP's CRLFs travel as JSON escapes, not raw line breaks.
  const http::Request a = build_calls_request(config, "1", pre_accept_body("c", kSdp));
  EXPECT_NE(a.body.find(R"(v=0\r\no=- 1 2)"), std::string::npos);
  EXPECT_EQ(GraphConfig{}.base_url, "https://graph.facebook.com/v24.0");
}

TEST(GraphApi, InvalidUtf8InSdpStillGivesValidJson) {
  const http::Request r =
      build_calls_request(test_config(), "1", pre_accept_body("c", "v=0\r\na=x:\xff\xfe\r\n"));
  EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded());
}

TEST(GraphApi, SafePathSegments) {
  EXPECT_TRUE(is_safe_path_segment("106540352242922"));
  EXPECT_FALSE(is_safe_path_segment(""));
  EXPECT_FALSE(is_safe_path_segment(".."));
  EXPECT_FALSE(is_safe_path_segment("1/../me"));
  EXPECT_FALSE(is_safe_path_segment("1?x=y"));
}

TEST(GraphApi, ParsesSuccess) {
  GraphResult r = parse_graph_response(
      response(200, R"({"messaging_product":"whatsapp","success":true})"), kToken);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.call_id, "");
  r = parse_graph_response(
      response(200, R"({"messaging_product":"whatsapp","calls":[{"id":"wacid.NEW="}]})"), kToken);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.call_id, "wacid.NEW=");
}

TEST(GraphApi, ParsesGraphErrorShape) {
  const GraphResult r = parse_graph_response(
      response(400, R"({"error":{"message":"(#100) Invalid parameter","type":"OAuthException",
        "code":100,"error_subcode":2494010,"error_data":{"messaging_product":"whatsapp",
        "details":"SDP Validation error - Provided SDP is invalid"},"fbtrace_id":"AQh4Zr1"}})"),
      kToken);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.error_code, 100);
  EXPECT_EQ(r.error_subcode, 2494010);
  EXPECT_EQ(r.error_type, "OAuthException");
  EXPECT_EQ(r.message, "(#100) Invalid parameter");
  EXPECT_EQ(r.details, "SDP Validation error - Provided SDP is invalid");
  EXPECT_EQ(r.fbtrace_id, "AQh4Zr1");
}

TEST(GraphApi, ErrorInsideA200IsAFailure) {
  const GraphResult r = parse_graph_response(
      response(200, R"({"error":{"message":"Connect Timeout","code":138007}})"), kToken);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, 138007);
  EXPECT_FALSE(r.error_subcode.has_value());
}

TEST(GraphApi, NonJsonAndTransportFailures) {
  http::Response html = response(502, "<html>Bad gateway</html>");
  html.headers = {{"content-type", "text/html"}};
  GraphResult r = parse_graph_response(html, kToken);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 502);
  EXPECT_EQ(r.message, "HTTP 502 without a Graph error body (text/html)");

  http::Response timeout;
  timeout.error = "Timeout was reached";
  r = parse_graph_response(timeout, kToken);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.message, "transport failure: Timeout was reached");
}

TEST(GraphApi, TokenNeverInErrors) {
  const std::string body = std::string(R"({"error":{"message":"Invalid OAuth access token - )") +
                           kToken + R"(","type":"OAuthException","code":190,
      "error_data":{"details":")" +
                           kToken + R"("}}})";
  GraphResult r = parse_graph_response(response(401, body), kToken);
  EXPECT_EQ(r.error_code, 190);
  EXPECT_EQ(r.message.find(kToken), std::string::npos);
  EXPECT_NE(r.message.find("[redacted]"), std::string::npos);
  EXPECT_EQ(r.details, "[redacted]");

  http::Response failed;
  failed.error = std::string("could not resolve ") + kToken;
  r = parse_graph_response(failed, kToken);
  EXPECT_EQ(r.message.find(kToken), std::string::npos);
  EXPECT_EQ(redact("aXaXa", "X"), "a[redacted]a[redacted]a");
  EXPECT_EQ(redact("abc", ""), "abc");
}

TEST(GraphClient, SendsEachActionAndReportsTheResult) {
  FakeHttp fake;
  GraphClient client(fake.sender(), test_config());
  std::vector<GraphResult> results;
  auto collect = [&](GraphResult r) { results.push_back(std::move(r)); };

  client.pre_accept("42", "wacid.A", kSdp, collect);
  client.accept("42", "wacid.A", kSdp, std::string("cb"), collect);
  client.reject("42", "wacid.B", collect);
  client.terminate("42", "wacid.A", collect);
  client.connect("42", "13175551399", kSdp, std::nullopt, collect);
  ASSERT_EQ(fake.requests.size(), 5u);
  EXPECT_TRUE(results.empty()); // nothing is reported before the answers arrive

  const char* actions[] = {"pre_accept", "accept", "reject", "terminate", "connect"};
  for (std::size_t i = 0; i < 5; ++i) {
    const json body = json::parse(fake.requests[i].body);
    EXPECT_EQ(body["action"], actions[i]);
    EXPECT_EQ(body["messaging_product"], "whatsapp");
    EXPECT_EQ(fake.requests[i].url, "https://graph.facebook.com/v24.0/42/calls");
  }
  // pre_accept and accept carry the same SDP.
  EXPECT_EQ(json::parse(fake.requests[0].body)["session"],
            json::parse(fake.requests[1].body)["session"]);
  EXPECT_EQ(json::parse(fake.requests[1].body)["biz_opaque_callback_data"], "cb");

  for (std::size_t i = 0; i < 4; ++i)
    fake.callbacks[i](response(200, R"({"success":true})"));
  fake.callbacks[4](
      response(200, R"({"messaging_product":"whatsapp","calls":[{"id":"wacid.OUT"}]})"));
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results)
    EXPECT_TRUE(r.ok);
  EXPECT_EQ(results[4].call_id, "wacid.OUT");
}

TEST(GraphClient, ConnectWithoutCallIdIsAFailure) {
  FakeHttp fake;
  GraphClient client(fake.sender(), test_config());
  std::optional<GraphResult> result;
  client.connect("42", "13175551399", kSdp, std::string("cb"), [&](GraphResult r) { result = r; });
  ASSERT_EQ(fake.requests.size(), 1u);
  EXPECT_EQ(json::parse(fake.requests[0].body)["biz_opaque_callback_data"], "cb");
  fake.callbacks[0](response(200, R"({"messaging_product":"whatsapp","calls":[]})"));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->message, "connect answer has no calls[0].id");
}

TEST(GraphClient, UnsafePhoneNumberIdIsRejectedWithoutSending) {
  FakeHttp fake;
  GraphClient client(fake.sender(), test_config());
  std::optional<GraphResult> result;
  client.terminate("../me", "wacid.A", [&](GraphResult r) { result = std::move(r); });
  EXPECT_TRUE(fake.requests.empty());
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->message, "invalid phone_number_id");
}

TEST(GraphClient, CallbacksAreDroppedOnceTheClientIsGone) {
  FakeHttp fake;
  bool called = false;
  {
    GraphClient client(fake.sender(), test_config());
    client.terminate("42", "wacid.A", [&](GraphResult) { called = true; });
  }
  ASSERT_EQ(fake.callbacks.size(), 1u);
  fake.callbacks[0](response(200, R"({"success":true})"));
  EXPECT_FALSE(called);
}

} // namespace
} // namespace wab::whatsapp
