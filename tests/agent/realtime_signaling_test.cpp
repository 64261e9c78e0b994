#include "agent/realtime_signaling.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/session_config.hpp"

namespace wab::agent {
namespace {

using nlohmann::json;

constexpr const char* kApiKey = "sk-proj-TESTKEY0123456789";
constexpr const char* kEphemeral = "ek_68af296e8e408191a1120ab6383263c2";
constexpr const char* kOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
constexpr const char* kAnswer = "v=0\r\no=- 9 2 IN IP4 0.0.0.0\r\ns=-\r\na=ice-lite\r\n";

RealtimeConfig config_with(AuthMode mode) {
  RealtimeConfig config;
  config.api_key = kApiKey;
  config.auth = mode;
  return config;
}

std::string header(const http::Request& request, std::string_view name) {
  for (const auto& [k, v] : request.headers) {
    if (k == name) return v;
  }
  return {};
}

http::Response answer(int status, std::string content_type, std::string location) {
  http::Response r;
  r.status = status;
  if (!content_type.empty()) r.headers.emplace_back("content-type", content_type);
  if (!location.empty()) r.headers.emplace_back("location", location);
  r.body = kAnswer;
  return r;
}

http::Response json_response(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.headers = {{"content-type", "application/json"}};
  r.body = std::move(body);
  return r;
}

struct Part {
  std::map<std::string, std::string> headers;
  std::string body;
};

// A small independent reader of multipart/form-data (RFC 7578) to check the request shape.
std::vector<Part> read_multipart(const std::string& content_type, const std::string& body) {
  const std::string marker = "boundary=";
  const auto at = content_type.find(marker);
  if (content_type.rfind("multipart/form-data;", 0) != 0 || at == std::string::npos) return {};
  const std::string delimiter = "--" + content_type.substr(at + marker.size());
  std::vector<Part> parts;
  std::size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) break; // closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return {};
    pos += 2;
    const auto next = body.find("\r\n" + delimiter, pos);
    if (next == std::string::npos) return {};
    const std::string raw = body.substr(pos, next - pos);
    const auto split = raw.find("\r\n\r\n");
    if (split == std::string::npos) return {};
    Part part;
    std::size_t line_start = 0;
    const std::string head = raw.substr(0, split);
    while (line_start <= head.size()) {
      auto line_end = head.find("\r\n", line_start);
      if (line_end == std::string::npos) line_end = head.size();
      const std::string line = head.substr(line_start, line_end - line_start);
      const auto colon = line.find(": ");
      if (colon != std::string::npos) part.headers[line.substr(0, colon)] = line.substr(colon + 2);
      line_start = line_end + 2;
    }
    part.body = raw.substr(split + 4);
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  return parts;
}

TEST(RealtimeApi, UnifiedCallRequestIsMultipartWithSdpAndSession) {
  const json session = build_session(SessionConfig{});
  const http::Request r =
      build_unified_call_request(config_with(AuthMode::api_key), kOffer, session);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.openai.com/v1/realtime/calls");
  EXPECT_EQ(header(r, "Authorization"), std::string("Bearer ") + kApiKey);
  const std::string type = header(r, "Content-Type");
  const auto parts = read_multipart(type, r.body);
  ASSERT_EQ(parts.size(), 2u) << type << "\n" << r.body;
  EXPECT_EQ(parts[0].headers.at("Content-Disposition"), "form-data; name=\"sdp\"");
  EXPECT_EQ(parts[0].headers.at("Content-Type"), "application/sdp");
  EXPECT_EQ(parts[0].body, kOffer);
  EXPECT_EQ(parts[1].headers.at("Content-Disposition"), "form-data; name=\"session\"");
  EXPECT_EQ(parts[1].headers.at("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(parts[1].body), session);
}

TEST(RealtimeApi, AzureUsesTheApiKeyHeader) {
  RealtimeConfig config = config_with(AuthMode::api_key);
  config.azure_api_key_header = true;
  config.base_url = "https://res.openai.azure.example/openai/v1/";
  const http::Request r = build_unified_call_request(config, kOffer, json::object());
  EXPECT_EQ(r.url, "https://res.openai.azure.example/openai/v1/realtime/calls");
  EXPECT_EQ(header(r, "api-key"), kApiKey);
  EXPECT_EQ(header(r, "Authorization"), "");
  EXPECT_EQ(header(build_client_secret_request(config, json::object()), "api-key"), kApiKey);
  // Ephemeral keys are always Bearer, Azure or not.
  EXPECT_EQ(header(build_sdp_call_request(config, kEphemeral, kOffer), "Authorization"),
            std::string("Bearer ") + kEphemeral);
}

TEST(RealtimeApi, ClientSecretRequestAndResponse) {
  const json session = build_session(SessionConfig{});
  const http::Request r = build_client_secret_request(config_with(AuthMode::ephemeral), session);
  EXPECT_EQ(r.url, "https://api.openai.com/v1/realtime/client_secrets");
  EXPECT_EQ(header(r, "Authorization"), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r.body),
            (json{{"expires_after", {{"anchor", "created_at"}, {"seconds", 600}}},
                  {"session", session}}));

  std::string error;
  const auto secret = parse_client_secret(
      json_response(
          200, std::string(R"({"value":")") + kEphemeral +
                   R"(","expires_at":1756310470,"session":{"type":"realtime","id":"sess_1"}})"),
      {kApiKey}, error);
  ASSERT_TRUE(secret.has_value()) << error;
  EXPECT_EQ(secret->value, kEphemeral);
  EXPECT_EQ(secret->expires_at, 1756310470);

  EXPECT_FALSE(parse_client_secret(json_response(200, R"({"expires_at":1})"), {kApiKey}, error));
  EXPECT_EQ(error, "client secret: response has no \"value\"");
  EXPECT_FALSE(parse_client_secret(json_response(200, "nope"), {kApiKey}, error));
  EXPECT_EQ(error, "client secret: response is not valid JSON");
}

TEST(RealtimeApi, SdpCallRequestWithEphemeralKey) {
  const http::Request r =
      build_sdp_call_request(config_with(AuthMode::ephemeral), kEphemeral, kOffer);
  EXPECT_EQ(r.url, "https://api.openai.com/v1/realtime/calls");
  EXPECT_EQ(header(r, "Authorization"), std::string("Bearer ") + kEphemeral);
  EXPECT_EQ(header(r, "Content-Type"), "application/sdp");
  EXPECT_EQ(r.body, kOffer);
}

TEST(LiveApi, SessionRequestCarriesTheOfferAndTheSession) {
  RealtimeConfig config{"https://api.openai.com/v1", "sk-live"};
  config.api = AgentApi::live;
  SessionConfig s;
  s.model = "gpt-live-1";
  s.voice = "marin";
  s.instructions = "Be brief.";
  const auto live = live_session_from_realtime(build_session(s));
  const auto request =
      build_live_session_request(config, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", live);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://api.openai.com/v1/live/sessions");
  const auto body = json::parse(request.body);
  EXPECT_EQ(body["session"]["model"], "gpt-live-1");
  EXPECT_EQ(body["session"]["instructions"], "Be brief.");
  EXPECT_EQ(body["session"]["audio"]["output"]["voice"], "marin");
  EXPECT_EQ(body["session"]["store"], false);
  EXPECT_FALSE(body["session"].contains("tools")); // GA-only fields stay out
  EXPECT_EQ(body["transport"]["type"], "webrtc");
  EXPECT_EQ(body["transport"]["sdp"], "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
  bool bearer = false;
  for (const auto& [name, value] : request.headers)
    bearer |= name == "Authorization" && value == "Bearer sk-live";
  EXPECT_TRUE(bearer);
  EXPECT_EQ(build_hangup_request(config, "live_1")->url,
            "https://api.openai.com/v1/live/sessions/live_1/hangup");
}

TEST(LiveApi, SessionResponse) {
  http::Response ok;
  ok.status = 200;
  ok.body = R"({"session":{"id":"live_abc"},"transport":{"type":"webrtc","sdp":"v=0\r\n"}})";
  const auto result = parse_live_session_response(ok, {});
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.call_id, "live_abc");
  EXPECT_EQ(result.answer_sdp, "v=0\r\n");

  http::Response no_sdp = ok;
  no_sdp.body = R"({"session":{"id":"live_abc"},"transport":{"type":"webrtc"}})";
  const auto bad = parse_live_session_response(no_sdp, {});
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.call_id, "live_abc"); // created: the caller hangs it up
  http::Response not_json = ok;
  not_json.body = "<html>";
  EXPECT_FALSE(parse_live_session_response(not_json, {}).ok);
  http::Response refused;
  refused.status = 401;
  refused.body =
      R"({"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}})";
  const auto denied = parse_live_session_response(refused, {});
  EXPECT_FALSE(denied.ok);
  EXPECT_EQ(denied.http_status, 401);
  EXPECT_NE(denied.error.find("invalid_api_key"), std::string::npos);
}

TEST(RealtimeApi, CallIdFromLocation) {
  EXPECT_EQ(call_id_from_location("/v1/realtime/calls/rtc_u1_9c6574da8b8a41a18da9308f4ad974ce"),
            "rtc_u1_9c6574da8b8a41a18da9308f4ad974ce");
  EXPECT_EQ(call_id_from_location("https://api.openai.com/v1/realtime/calls/rtc_abc"), "rtc_abc");
  EXPECT_EQ(call_id_from_location("/v1/realtime/calls/rtc_abc/"), "rtc_abc");
  EXPECT_EQ(call_id_from_location("/v1/realtime/calls/rtc_abc?x=1#f"), "rtc_abc");
  EXPECT_EQ(call_id_from_location("rtc_abc"), "rtc_abc");
  EXPECT_FALSE(call_id_from_location("").has_value());
  EXPECT_FALSE(call_id_from_location("/").has_value());
  EXPECT_FALSE(call_id_from_location("/v1/realtime/calls/rtc%2F..").has_value());
  EXPECT_FALSE(call_id_from_location("/v1/realtime/calls/..").has_value());
}

TEST(RealtimeApi, ParsesTheAnswer) {
  CallResult r = parse_call_response(
      answer(201, "application/sdp", "/v1/realtime/calls/rtc_u0_abc"), {kApiKey});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.http_status, 201);
  EXPECT_EQ(r.answer_sdp, kAnswer);
  EXPECT_EQ(r.call_id, "rtc_u0_abc");

  // As captured in the wild: text/plain and a 200.
  r = parse_call_response(answer(200, "text/plain; charset=utf-8",
                                 "https://api.openai.com/v1/realtime/calls/rtc_u1_x/"),
                          {kApiKey});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.call_id, "rtc_u1_x");

  // No Location: the call works, it just cannot be hung up by id.
  r = parse_call_response(answer(201, "", ""), {kApiKey});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.call_id, "");
}

TEST(RealtimeApi, RejectsAnswersThatAreNotSdp) {
  CallResult r = parse_call_response(answer(201, "application/json", "/x/rtc_1"), {kApiKey});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "answer has unexpected content type application/json");
  http::Response garbage = answer(201, "application/sdp", "");
  garbage.body = "<html>";
  r = parse_call_response(garbage, {kApiKey});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "answer body is not an SDP");
  r = parse_call_response(answer(204, "application/sdp", ""), {kApiKey});
  EXPECT_FALSE(r.ok);
}

TEST(RealtimeApi, ParsesOpenAiErrors) {
  const CallResult r = parse_call_response(
      json_response(
          400,
          R"({"error":{"message":"Invalid SDP offer. Please try again with a WHIP-compliant offer.",
        "type":"invalid_request_error","param":null,"code":"invalid_offer"}})"),
      {kApiKey});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(
      r.error,
      "HTTP 400 invalid_request_error/invalid_offer: Invalid SDP offer. Please try again with "
      "a WHIP-compliant offer.");
  ASSERT_TRUE(r.api_error.has_value());
  EXPECT_EQ(r.api_error->code, "invalid_offer");
  EXPECT_EQ(r.api_error->type, "invalid_request_error");

  EXPECT_EQ(parse_call_response(json_response(503, "upstream busy"), {kApiKey}).error, "HTTP 503");
}

TEST(RealtimeApi, TimeoutsAndTransportFailures) {
  http::Response timeout;
  timeout.error = "Timeout was reached";
  const CallResult r = parse_call_response(timeout, {kApiKey});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.error, "transport failure: Timeout was reached");
  EXPECT_EQ(parse_hangup_response(timeout, {kApiKey}).error,
            "transport failure: Timeout was reached");
}

TEST(RealtimeApi, SecretsNeverInErrors) {
  const std::string body = std::string(R"({"error":{"message":"Incorrect API key provided: )") +
                           kApiKey + R"(. Also )" + kEphemeral +
                           R"(","type":"invalid_request_error","code":"invalid_api_key"}})";
  const CallResult r = parse_call_response(json_response(401, body), {kApiKey, kEphemeral});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.find(kApiKey), std::string::npos);
  EXPECT_EQ(r.error.find(kEphemeral), std::string::npos);
  EXPECT_NE(r.error.find("[redacted]"), std::string::npos);
  std::string error;
  EXPECT_FALSE(parse_client_secret(json_response(401, body), {kApiKey}, error));
  EXPECT_EQ(error.find(kApiKey), std::string::npos);
}

TEST(RealtimeApi, HangupRequest) {
  const auto r = build_hangup_request(config_with(AuthMode::ephemeral), "rtc_u1_abc");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, "https://api.openai.com/v1/realtime/calls/rtc_u1_abc/hangup");
  // Hang-up uses the server's own key even when the call was made with an ephemeral one.
  EXPECT_EQ(header(*r, "Authorization"), std::string("Bearer ") + kApiKey);
  EXPECT_FALSE(build_hangup_request(config_with(AuthMode::api_key), "../x").has_value());
  EXPECT_FALSE(build_hangup_request(config_with(AuthMode::api_key), "").has_value());
  EXPECT_TRUE(parse_hangup_response(json_response(200, "{}"), {kApiKey}).ok);
  const HangupResult failed = parse_hangup_response(
      json_response(
          404,
          R"({"error":{"message":"Call not found","type":"invalid_request_error","code":"call_id_not_found"}})"),
      {kApiKey});
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.http_status, 404);
  EXPECT_EQ(failed.api_error->code, "call_id_not_found");
}

// Records requests instead of sending them; the test answers them.
struct FakeHttp {
  std::vector<http::Request> requests;
  std::vector<http::Client::Callback> callbacks;
  RealtimeSignaling::Sender sender() {
    return [this](http::Request request, http::Client::Callback done) {
      requests.push_back(std::move(request));
      callbacks.push_back(std::move(done));
    };
  }
};

TEST(RealtimeSignaling, ApiKeyModeIsOneMultipartPost) {
  FakeHttp fake;
  RealtimeSignaling signaling(fake.sender(), config_with(AuthMode::api_key));
  std::optional<CallResult> result;
  signaling.create_call(kOffer, build_session(SessionConfig{}), [&](CallResult r) { result = r; });
  ASSERT_EQ(fake.requests.size(), 1u);
  EXPECT_EQ(header(fake.requests[0], "Content-Type").rfind("multipart/form-data; boundary=", 0),
            0u);
  EXPECT_FALSE(result.has_value());
  fake.callbacks[0](answer(201, "application/sdp", "/v1/realtime/calls/rtc_1"));
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->ok);
  EXPECT_EQ(result->call_id, "rtc_1");
  EXPECT_EQ(result->answer_sdp, kAnswer);
}

TEST(RealtimeSignaling, EphemeralModeMintsAKeyThenPostsRawSdp) {
  FakeHttp fake;
  RealtimeSignaling signaling(fake.sender(), config_with(AuthMode::ephemeral));
  std::optional<CallResult> result;
  signaling.create_call(kOffer, build_session(SessionConfig{}), [&](CallResult r) { result = r; });
  ASSERT_EQ(fake.requests.size(), 1u);
  EXPECT_EQ(fake.requests[0].url, "https://api.openai.com/v1/realtime/client_secrets");
  fake.callbacks[0](
      json_response(200, std::string(R"({"value":")") + kEphemeral + R"(","expires_at":1})"));
  EXPECT_FALSE(result.has_value());
  ASSERT_EQ(fake.requests.size(), 2u);
  EXPECT_EQ(fake.requests[1].url, "https://api.openai.com/v1/realtime/calls");
  EXPECT_EQ(header(fake.requests[1], "Authorization"), std::string("Bearer ") + kEphemeral);
  EXPECT_EQ(header(fake.requests[1], "Content-Type"), "application/sdp");
  EXPECT_EQ(fake.requests[1].body, kOffer);
  // An error that echoes the ephemeral key comes back scrubbed.
  fake.callbacks[1](json_response(401, std::string(R"({"error":{"message":"bad key )") +
                                           kEphemeral + R"(","type":"invalid_request_error"}})"));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->error, "HTTP 401 invalid_request_error: bad key [redacted]");
}

TEST(RealtimeSignaling, EphemeralModeStopsWhenTheKeyCannotBeMinted) {
  FakeHttp fake;
  RealtimeSignaling signaling(fake.sender(), config_with(AuthMode::ephemeral));
  std::optional<CallResult> result;
  signaling.create_call(kOffer, json::object(), [&](CallResult r) { result = r; });
  http::Response timeout;
  timeout.error = "Timeout was reached";
  fake.callbacks[0](timeout);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->error, "client secret: transport failure: Timeout was reached");
  EXPECT_EQ(fake.requests.size(), 1u);
}

TEST(RealtimeSignaling, HangupAndDroppedCallbacks) {
  FakeHttp fake;
  bool called = false;
  {
    RealtimeSignaling signaling(fake.sender(), config_with(AuthMode::api_key));
    std::optional<HangupResult> bad;
    signaling.hangup("a/b", [&](HangupResult r) { bad = r; });
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->error, "invalid call id");
    EXPECT_TRUE(fake.requests.empty());
    signaling.hangup("rtc_1", [&](HangupResult) { called = true; });
    ASSERT_EQ(fake.requests.size(), 1u);
    EXPECT_EQ(fake.requests[0].url, "https://api.openai.com/v1/realtime/calls/rtc_1/hangup");
  }
  fake.callbacks[0](json_response(200, ""));
  EXPECT_FALSE(called); // the signaling object is gone: its callbacks are dropped
}

} // namespace
} // namespace wab::agent
