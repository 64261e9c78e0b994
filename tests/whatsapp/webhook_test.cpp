#include "whatsapp/webhook.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wab::whatsapp {
namespace {

// Shapes follow Meta's calling webhook reference (user-initiated connect, terminate, statuses).
constexpr const char* kUserConnect = R"({
  "object": "whatsapp_business_account",
  "entry": [{
    "id": "102290129340398",
    "changes": [{
      "field": "calls",
      "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Ana Caller"}, "wa_id": "13175551399"}],
        "calls": [{
          "id": "wacid.HBgLMTMxNzU1NTEzOTkVAgARGCAyODZFQ0E1QzNBMkI4RjBBNTQ2RDJBMEIyQkQ3NkYwRQA=",
          "to": "15550783881",
          "from": "13175551399",
          "event": "connect",
          "timestamp": "1749196895",
          "direction": "USER_INITIATED",
          "session": {
            "sdp_type": "offer",
            "sdp": "v=0\r\no=- 1749196895000 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\nm=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\n"
          },
          "unknown_future_field": {"x": [1, 2, 3]}
        }]
      }
    }]
  }]
})";

constexpr const char* kTerminateFailed = R"({
  "object": "whatsapp_business_account",
  "entry": [{"id": "1", "changes": [{"field": "calls", "value": {
    "messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
    "calls": [{
      "id": "wacid.ABC=",
      "to": "15550783881",
      "from": "13175551399",
      "event": "terminate",
      "direction": "USER_INITIATED",
      "timestamp": "1749196915",
      "status": "FAILED",
      "start_time": "1749196895",
      "end_time": "1749196915",
      "duration": 20,
      "biz_opaque_callback_data": "bridge-42",
      "errors": [{"code": 138021, "title": "Media receive timeout",
                  "message": "Media receive timeout",
                  "error_data": {"details": "Client did not receive media"}}]
    }],
    "errors": [{"code": 138021, "title": "Media receive timeout"}]
  }}]}]
})";

// Returns a copy: callers pass the batch as a temporary.
template <typename T> T only_event(const WebhookBatch& batch) {
  EXPECT_TRUE(batch.ok()) << batch.error;
  EXPECT_EQ(batch.events.size(), 1u);
  if (batch.events.size() != 1 || !std::holds_alternative<T>(batch.events[0])) {
    ADD_FAILURE() << "unexpected event type";
    return T{};
  }
  return std::get<T>(batch.events[0]);
}

TEST(Webhook, UserInitiatedConnect) {
  const WebhookBatch batch = parse_webhook(kUserConnect);
  const auto c = only_event<CallConnect>(batch);
  EXPECT_EQ(c.call_id,
            "wacid.HBgLMTMxNzU1NTEzOTkVAgARGCAyODZFQ0E1QzNBMkI4RjBBNTQ2RDJBMEIyQkQ3NkYwRQA=");
  EXPECT_EQ(c.business.phone_number_id, "106540352242922");
  EXPECT_EQ(c.business.display_phone_number, "15550783881");
  EXPECT_EQ(c.from, "13175551399");
  EXPECT_EQ(c.caller(), "13175551399");
  EXPECT_EQ(c.to, "15550783881");
  EXPECT_EQ(c.direction, CallDirection::user_initiated);
  EXPECT_EQ(c.sdp_type, SdpType::offer);
  EXPECT_EQ(c.sdp.rfind("v=0\r\no=- 1749196895000", 0), 0u);
  EXPECT_NE(c.sdp.find("a=ice-lite\r\n"), std::string::npos);
  EXPECT_EQ(c.timestamp, 1749196895);
  EXPECT_EQ(c.contact_name, "Ana Caller");
  EXPECT_EQ(c.biz_opaque_callback_data, "");
  EXPECT_EQ(batch.ignored, 0u);
  EXPECT_EQ(batch.malformed, 0u);
}

TEST(Webhook, BusinessInitiatedConnectWithAnswerAndUsernameCaller) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[{"changes":[{
    "field":"calls","value":{"metadata":{"phone_number_id":"42"},
    "contacts":[{"profile":{"name":"Other"},"wa_id":"1"},{"profile":{"name":"Bo"},"user_id":"US.123"}],
    "calls":[{"id":"wacid.X","from_user_id":"US.123","to":"42","event":"connect","timestamp":1749196900,
      "direction":"BUSINESS_INITIATED","biz_opaque_callback_data":"ours",
      "connection":{"webrtc":{"sdp":"{\"type\":\"answer\",\"sdp\":\"legacy\"}"}},
      "session":{"sdp_type":"answer","sdp":"v=0\r\n"}}]}}]}]})";
  const auto c = only_event<CallConnect>(parse_webhook(body));
  EXPECT_EQ(c.direction, CallDirection::business_initiated);
  EXPECT_EQ(c.sdp_type, SdpType::answer);
  EXPECT_EQ(c.sdp, "v=0\r\n"); // from `session`, not the legacy `connection`
  EXPECT_EQ(c.from, "");
  EXPECT_EQ(c.caller(), "US.123");
  EXPECT_EQ(c.contact_name, "Bo");
  EXPECT_EQ(c.timestamp, 1749196900); // numeric timestamps are accepted too
  EXPECT_EQ(c.biz_opaque_callback_data, "ours");
}

TEST(Webhook, TerminateWithErrors) {
  const auto t = only_event<CallTerminate>(parse_webhook(kTerminateFailed));
  EXPECT_EQ(t.call_id, "wacid.ABC=");
  EXPECT_EQ(t.status, TerminateStatus::failed);
  EXPECT_EQ(t.status_text, "FAILED");
  EXPECT_EQ(to_string(t.status), "FAILED");
  EXPECT_EQ(to_string(t.direction), "USER_INITIATED");
  EXPECT_EQ(t.direction, CallDirection::user_initiated);
  EXPECT_EQ(t.timestamp, 1749196915);
  EXPECT_EQ(t.start_time, 1749196895);
  EXPECT_EQ(t.end_time, 1749196915);
  EXPECT_EQ(t.duration_seconds, 20);
  EXPECT_EQ(t.biz_opaque_callback_data, "bridge-42");
  ASSERT_EQ(t.errors.size(), 1u); // the item's own errors win over the value-level copy
  EXPECT_EQ(t.errors[0].code, 138021);
  EXPECT_EQ(t.errors[0].title, "Media receive timeout");
  EXPECT_EQ(t.errors[0].details, "Client did not receive media");
}

TEST(Webhook, TerminateCompletedWithoutPickupAndValueLevelErrors) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[{"changes":[{
    "value":{"metadata":{"phone_number_id":"42"},
      "calls":[{"id":"wacid.Y","event":"terminate","status":"COMPLETED","timestamp":"1"}],
      "errors":[{"code":131000,"title":"Something went wrong"}]}}]}]})";
  const auto t = only_event<CallTerminate>(parse_webhook(body));
  EXPECT_EQ(t.status, TerminateStatus::completed);
  EXPECT_FALSE(t.start_time.has_value());
  EXPECT_FALSE(t.duration_seconds.has_value());
  ASSERT_EQ(t.errors.size(), 1u);
  EXPECT_EQ(t.errors[0].code, 131000);
}

TEST(Webhook, CallStatusesAndMessageStatusesMixed) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[{"changes":[{
    "field":"calls","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"42"},
    "statuses":[
      {"id":"wacid.Z","timestamp":"1749197000","type":"call","status":"RINGING","recipient_id":"13175551399"},
      {"id":"wamid.M","timestamp":"1749197000","type":"message","status":"delivered","recipient_id":"1"},
      {"id":"wacid.Z","timestamp":"1749197003","type":"call","status":"ACCEPTED","recipient_id":"13175551399",
       "biz_opaque_callback_data":"ours"},
      {"id":"wacid.Z","timestamp":"1749197004","type":"call","status":"REJECTED","recipient_user_id":"US.9"}
    ]}}]}]})";
  const WebhookBatch batch = parse_webhook(body);
  ASSERT_TRUE(batch.ok()) << batch.error;
  ASSERT_EQ(batch.events.size(), 3u);
  EXPECT_EQ(batch.ignored, 1u);
  const auto& ringing = std::get<CallStatus>(batch.events[0]);
  EXPECT_EQ(ringing.call_id, "wacid.Z");
  EXPECT_EQ(ringing.status, CallStatusKind::ringing);
  EXPECT_EQ(ringing.recipient_id, "13175551399");
  EXPECT_EQ(ringing.timestamp, 1749197000);
  EXPECT_EQ(ringing.business.phone_number_id, "42");
  const auto& accepted = std::get<CallStatus>(batch.events[1]);
  EXPECT_EQ(accepted.status, CallStatusKind::accepted);
  EXPECT_EQ(accepted.biz_opaque_callback_data, "ours");
  const auto& rejected = std::get<CallStatus>(batch.events[2]);
  EXPECT_EQ(rejected.status, CallStatusKind::rejected);
  EXPECT_EQ(rejected.recipient_user_id, "US.9");
}

TEST(Webhook, MessagesAndOtherCallEventsAreIgnored) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[
    {"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"42"},
      "messages":[{"from":"1","id":"wamid.1","type":"text","text":{"body":"hi"}}]}}]},
    {"changes":[{"field":"calls","value":{"calls":[
      {"id":"wacid.R","event":"call_recording_available","timestamp":"1"}]}}]}]})";
  const WebhookBatch batch = parse_webhook(body);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch.events.empty());
  EXPECT_EQ(batch.ignored, 2u);
}

TEST(Webhook, ValueLevelErrorsWithoutCalls) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[{"changes":[{
    "field":"calls","value":{"metadata":{"phone_number_id":"42"},
    "errors":[{"code":131044,"title":"Business eligibility payment issue"}]}}]}]})";
  const auto e = only_event<ValueErrors>(parse_webhook(body));
  EXPECT_EQ(e.business.phone_number_id, "42");
  ASSERT_EQ(e.errors.size(), 1u);
  EXPECT_EQ(e.errors[0].code, 131044);
}

TEST(Webhook, SeveralEntriesKeepBodyOrder) {
  // Terminate before connect happens in practice; the parser keeps the order it was given.
  const std::string body = R"({"object":"whatsapp_business_account","entry":[
    {"changes":[{"value":{"calls":[{"id":"wacid.A","event":"terminate","status":"COMPLETED"}]}}]},
    {"changes":[{"value":{"calls":[{"id":"wacid.A","event":"connect","direction":"USER_INITIATED",
       "session":{"sdp_type":"offer","sdp":"v=0\r\n"}}]}}]}]})";
  const WebhookBatch batch = parse_webhook(body);
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<CallTerminate>(batch.events[0]));
  EXPECT_TRUE(std::holds_alternative<CallConnect>(batch.events[1]));
}

TEST(Webhook, MalformedItemsAreSkippedAndCounted) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[{"changes":[
    {"value":{"calls":[
      {"event":"connect","session":{"sdp_type":"offer","sdp":"v=0"}},
      {"id":"wacid.1","event":"connect"},
      {"id":"wacid.2","event":"connect","session":{"sdp_type":"pranswer","sdp":"v=0"}},
      {"id":"wacid.3","event":"connect","session":{"sdp_type":"offer","sdp":12}},
      {"id":7,"event":"terminate"},
      "not an object",
      {"id":"wacid.4","event":"terminate","status":"FAILED","timestamp":"12x","duration":"abc",
       "errors":[{"code":"not-a-number"}, 5]}
    ]}},
    {"nothing":"here"},
    {"value":{"statuses":[{"type":"call"}]}}]},
    {"no_changes":true}]})";
  const WebhookBatch batch = parse_webhook(body);
  ASSERT_TRUE(batch.ok()) << batch.error;
  ASSERT_EQ(batch.events.size(), 1u);
  const auto& t = std::get<CallTerminate>(batch.events[0]);
  EXPECT_EQ(t.call_id, "wacid.4");
  EXPECT_EQ(t.timestamp, 0);
  EXPECT_FALSE(t.duration_seconds.has_value());
  ASSERT_EQ(t.errors.size(), 1u);
  EXPECT_EQ(t.errors[0].code, 0);
  // 6 bad call items, 1 change without value, 1 bad status, 1 entry without changes.
  EXPECT_EQ(batch.malformed, 9u);
}

TEST(Webhook, RejectsBodiesThatAreNotWebhooks) {
  EXPECT_EQ(parse_webhook("").error, "not valid JSON");
  EXPECT_EQ(parse_webhook("{").error, "not valid JSON");
  EXPECT_EQ(parse_webhook("[1,2]").error, "webhook body is not a JSON object");
  EXPECT_EQ(parse_webhook(R"({"entry":[]})").error, "webhook body has no \"object\"");
  EXPECT_EQ(parse_webhook(R"({"object":"page","entry":[]})").error,
            "webhook object is not whatsapp_business_account");
  EXPECT_EQ(parse_webhook(R"({"object":"whatsapp_business_account","entry":{}})").error,
            "webhook body has no \"entry\" array");
  EXPECT_FALSE(parse_webhook("{\"object\":\"whatsapp_business_account\",\"entry\":[]}\xff").ok());
  const WebhookBatch empty = parse_webhook(R"({"object":"whatsapp_business_account","entry":[]})");
  EXPECT_TRUE(empty.ok());
  EXPECT_TRUE(empty.events.empty());
}

TEST(Webhook, EnforcesSizeAndDepthLimits) {
  std::string deep = R"({"object":"whatsapp_business_account","entry":[)";
  for (int i = 0; i < 40; ++i)
    deep += "[";
  for (int i = 0; i < 40; ++i)
    deep += "]";
  deep += "]}";
  EXPECT_EQ(parse_webhook(deep).error, "JSON nested deeper than 32 levels");

  // Brackets inside strings do not count towards the depth.
  const std::string brackets_in_string =
      R"({"object":"whatsapp_business_account","entry":[],"x":")" + std::string(100, '[') + "\"}";
  EXPECT_TRUE(parse_webhook(brackets_in_string).ok());

  WebhookLimits small;
  small.max_body_bytes = 64;
  const std::string body = kUserConnect;
  EXPECT_EQ(parse_webhook(body, small).error, "body larger than 64 bytes");
  EXPECT_TRUE(parse_webhook(body).ok());
}

TEST(Webhook, VerifySubscription) {
  EXPECT_EQ(verify_subscription("subscribe", "tok", "1158201444", "tok"), "1158201444");
  EXPECT_FALSE(verify_subscription("subscribe", "tok2", "1", "tok").has_value());
  EXPECT_FALSE(verify_subscription("subscribe", "to", "1", "tok").has_value());
  EXPECT_FALSE(verify_subscription("unsubscribe", "tok", "1", "tok").has_value());
  EXPECT_FALSE(verify_subscription("subscribe", "", "1", "").has_value());
  EXPECT_FALSE(verify_subscription("subscribe", "tok", "", "tok").has_value());
  EXPECT_FALSE(verify_subscription("subscribe", "tok", "<script>", "tok").has_value());
  EXPECT_FALSE(verify_subscription("subscribe", "tok", std::string(129, '1'), "tok").has_value());
}

} // namespace
} // namespace wab::whatsapp
