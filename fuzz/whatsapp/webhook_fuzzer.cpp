// Meta's webhook POST as an attacker sends it: the body goes through the signature check and the
// parser (the parser runs whatever the check says, to reach it with every input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "whatsapp/signature.hpp"
#include "whatsapp/webhook.hpp"

using namespace wab::whatsapp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The first line, if any, plays the X-Hub-Signature-256 header; the rest is the body.
  const auto newline = input.find('\n');
  const std::string_view header = newline == std::string_view::npos ? "" : input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? input : input.substr(newline + 1);
  const bool claimed = verify_signature("fuzz-app-secret", body, header);
  // A correct signature over the body must always verify.
  if (!verify_signature("fuzz-app-secret", body, sign_body("fuzz-app-secret", body)))
    __builtin_trap();
  (void)claimed;

  const WebhookBatch batch = parse_webhook(input);
  if (!batch.ok() && !batch.events.empty()) __builtin_trap();
  for (const WebhookEvent& event : batch.events) {
    if (const auto* c = std::get_if<CallConnect>(&event)) {
      if (c->call_id.empty() || c->sdp.empty() || c->sdp_type == SdpType::none) __builtin_trap();
    } else if (const auto* t = std::get_if<CallTerminate>(&event)) {
      if (t->call_id.empty()) __builtin_trap();
    } else if (const auto* s = std::get_if<CallStatus>(&event)) {
      if (s->call_id.empty()) __builtin_trap();
    }
  }
  (void)parse_webhook(body);
  (void)verify_subscription("subscribe", header, body, "token");
  return 0;
}
