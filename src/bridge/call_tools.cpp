// What the agent can do besides talking: call tools (end_call, the business's HTTP tools) and
// hear the caller's keypad.
#include "agent/client_events.hpp"
#include "bridge/call.hpp"
#include "bridge/call_internal.hpp"
#include "common/log.hpp"

namespace wab::bridge {
using detail::guarded;
namespace {

// end_call: the goodbye normally ends with output_audio_buffer.stopped; these bound the wait.
constexpr Duration kGoodbyeWhenSilent = milliseconds(500);
constexpr Duration kGoodbyeAtTheLatest = seconds(15);

} // namespace

// --- tools -----------------------------------------------------------------------------------

void Call::on_function_call(const agent::FunctionCall& call) {
  if (call.call_id.empty() || phase_ == CallPhase::ended) return;
  for (const auto& id : handled_function_calls_) {
    if (id == call.call_id) return;
  }
  if (handled_function_calls_.size() >= 256) return; // a runaway model: ignore further calls
  handled_function_calls_.push_back(call.call_id);
  ++counters_.tool_calls;
  log::info("tool_call", {{"call_id", call_id()}, {"tool", call.name}});
  if (call.name == kEndCallTool && profile_.end_call_tool) {
    // No new response: the goodbye the model just said is the last thing the caller hears.
    send_agent_event(agent::function_call_output(call.call_id, R"({"ok":true})"));
    end_call_requested_ = true;
    goodbye_timer_.arm(services_.loop.now() + kGoodbyeAtTheLatest);
    maybe_end_after_goodbye();
    return;
  }
  const agent::HttpTool* tool = nullptr;
  for (const auto& t : profile_.http_tools) {
    if (t.function.name == call.name) tool = &t;
  }
  if (tool == nullptr || services_.tools == nullptr) {
    on_tool_result(call.call_id, call.name,
                   {false, tool == nullptr ? R"({"error":"no such tool"})"
                                           : R"({"error":"tools are unavailable"})"});
    return;
  }
  const nlohmann::json context = {{"call_id", call_id()},
                                  {"phone_number_id", connect_.business.phone_number_id},
                                  {"from", connect_.from},
                                  {"to", connect_.to}};
  services_.tools->invoke(
      *tool, call.arguments, context,
      guarded(alive_, [this, id = call.call_id, name = call.name](const agent::ToolResult& r) {
        on_tool_result(id, name, r);
      }));
}

void Call::on_tool_result(const std::string& id, const std::string& name,
                          const agent::ToolResult& result) {
  if (phase_ == CallPhase::ended) return;
  if (!result.ok) {
    log::warn("tool_failed", {{"call_id", call_id()}, {"tool", name}, {"output", result.output}});
  }
  send_agent_event(agent::function_call_output(id, result.output));
  send_agent_event(agent::response_create()); // the model answers with what the tool said
}

void Call::maybe_end_after_goodbye() {
  if (!end_call_requested_ || phase_ == CallPhase::ended) return;
  // The goodbye has played out (or none is playing): hang up shortly, letting the last packets
  // reach the caller.
  if (!agent_speaking_) goodbye_timer_.arm(services_.loop.now() + kGoodbyeWhenSilent);
}

void Call::on_dtmf_digit(char digit) {
  // GPT-Live has no conversation.item.create: its digits are only logged.
  if (profile_.dtmf_message.empty() || !session_updated_ || phase_ != CallPhase::accepted ||
      speaks_live()) {
    return;
  }
  std::string text = profile_.dtmf_message;
  if (const auto at = text.find("{digit}"); at != std::string::npos) {
    text.replace(at, 7, 1, digit);
  }
  send_agent_event(agent::user_text_message(text));
  send_agent_event(agent::response_create());
}

} // namespace wab::bridge
