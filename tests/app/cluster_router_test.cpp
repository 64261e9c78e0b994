#include "app/cluster_router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace wab::app {
namespace {

// Two calls, a status and a message in one body: the owner of one call gets only its items.
const char* kBody = R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{
  "field":"calls","value":{"messaging_product":"whatsapp",
  "metadata":{"display_phone_number":"1555","phone_number_id":"106"},
  "contacts":[{"profile":{"name":"A"},"wa_id":"1"}],
  "messages":[{"id":"m1","type":"text","text":{"body":"private"}}],
  "calls":[{"id":"wacid.A","from":"1","to":"1555","event":"terminate","direction":"USER_INITIATED",
            "timestamp":"1","status":"COMPLETED"},
           {"id":"wacid.B","from":"2","to":"1555","event":"terminate","direction":"USER_INITIATED",
            "timestamp":"1","status":"COMPLETED"}],
  "statuses":[{"id":"wacid.B","type":"call","status":"RINGING","timestamp":"1",
               "recipient_id":"2"}]}}]}]})";

TEST(WebhookBodyForCall, KeepsOnlyTheCallsOwnItems) {
  const auto a = whatsapp::parse_webhook(webhook_body_for_call(kBody, "wacid.A"));
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.events.size(), 1u);
  const auto* terminate = std::get_if<whatsapp::CallTerminate>(&a.events[0]);
  ASSERT_NE(terminate, nullptr);
  EXPECT_EQ(terminate->call_id, "wacid.A");
  EXPECT_EQ(terminate->business.phone_number_id, "106");

  const auto b = whatsapp::parse_webhook(webhook_body_for_call(kBody, "wacid.B"));
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_EQ(b.events.size(), 2u); // its terminate and its status
  EXPECT_EQ(webhook_body_for_call(kBody, "wacid.B").find("private"), std::string::npos);
}

TEST(WebhookBodyForCall, UnusableBodiesGiveNothing) {
  EXPECT_EQ(webhook_body_for_call("not json", "x"), "");
  EXPECT_EQ(webhook_body_for_call("[1,2]", "x"), "");
  // Odd shapes pass through without a crash; the owner's parser judges them.
  EXPECT_FALSE(
      webhook_body_for_call(R"({"entry":[1,{"changes":[null,{"value":[]}]}]})", "x").empty());
}

} // namespace
} // namespace wab::app
