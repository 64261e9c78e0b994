#include "agent/client_events.hpp"

#include <gtest/gtest.h>

#include "agent/session_config.hpp"

namespace wab::agent {
namespace {

using nlohmann::json;

json parsed(const std::string& text) {
  json value = json::parse(text, nullptr, false);
  EXPECT_FALSE(value.is_discarded()) << text;
  return value;
}

TEST(ClientEvents, SessionUpdate) {
  const json session = build_session(SessionConfig{}, false);
  const json e = parsed(session_update(session));
  EXPECT_EQ(e["type"], "session.update");
  EXPECT_EQ(e["session"], session);
  EXPECT_FALSE(e.contains("event_id"));
  EXPECT_EQ(parsed(session_update(session, "evt_1"))["event_id"], "evt_1");
}

TEST(ClientEvents, ResponseCreate) {
  EXPECT_EQ(parsed(response_create()), json::parse(R"({"type":"response.create"})"));
  EXPECT_EQ(
      parsed(response_create("Greet the caller.")),
      json::parse(R"({"type":"response.create","response":{"instructions":"Greet the caller."}})"));
}

TEST(ClientEvents, UserTextMessage) {
  EXPECT_EQ(parsed(user_text_message("Hello \"there\"\n")), json::parse(R"({
    "type":"conversation.item.create",
    "item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hello \"there\"\n"}]}})"));
}

TEST(ClientEvents, FunctionCallOutput) {
  EXPECT_EQ(parsed(function_call_output("call_8f", R"({"ok":true})")), json::parse(R"({
    "type":"conversation.item.create",
    "item":{"type":"function_call_output","call_id":"call_8f","output":"{\"ok\":true}"}})"));
}

TEST(ClientEvents, CancelAndClear) {
  EXPECT_EQ(parsed(response_cancel()), json::parse(R"({"type":"response.cancel"})"));
  EXPECT_EQ(parsed(response_cancel("resp_1")),
            json::parse(R"({"type":"response.cancel","response_id":"resp_1"})"));
  EXPECT_EQ(parsed(output_audio_buffer_clear()),
            json::parse(R"({"type":"output_audio_buffer.clear"})"));
}

TEST(ClientEvents, InvalidUtf8NeverYieldsMalformedJson) {
  const std::string bad = "caf\xc3 \xff\xfe end";
  const json e = parsed(user_text_message(bad));
  const std::string text = e["item"]["content"][0]["text"];
  EXPECT_NE(text.find("end"), std::string::npos);
  parsed(function_call_output("c\xff", bad));
  parsed(response_create(std::string_view(bad)));
  // A control character and a NUL byte are escaped, not sent raw.
  const std::string with_nul("a\0b\x01", 4);
  const std::string out = user_text_message(with_nul);
  EXPECT_EQ(out.find('\0'), std::string::npos);
  EXPECT_EQ(parsed(out)["item"]["content"][0]["text"], with_nul);
}

} // namespace
} // namespace wab::agent
