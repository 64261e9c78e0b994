#include "whatsapp/webhook.hpp"

#include <openssl/crypto.h>

#include "common/json_input.hpp"

namespace wab::whatsapp {
namespace {

using nlohmann::json;

CallDirection parse_direction(const std::string& s) {
  if (s == "USER_INITIATED") return CallDirection::user_initiated;
  if (s == "BUSINESS_INITIATED") return CallDirection::business_initiated;
  return CallDirection::unknown;
}

SdpType parse_sdp_type(const std::string& s) {
  if (s == "offer") return SdpType::offer;
  if (s == "answer") return SdpType::answer;
  return SdpType::none;
}

TerminateStatus parse_terminate_status(const std::string& s) {
  // Real payloads are upper-case; the docs once showed lower-case.
  if (s == "COMPLETED" || s == "completed") return TerminateStatus::completed;
  if (s == "FAILED" || s == "failed") return TerminateStatus::failed;
  return TerminateStatus::unknown;
}

CallStatusKind parse_call_status(const std::string& s) {
  if (s == "RINGING" || s == "ringing") return CallStatusKind::ringing;
  if (s == "ACCEPTED" || s == "accepted") return CallStatusKind::accepted;
  if (s == "REJECTED" || s == "rejected") return CallStatusKind::rejected;
  return CallStatusKind::unknown;
}

std::vector<WebhookError> parse_errors(const json& holder) {
  std::vector<WebhookError> out;
  const json* errors = array_field(holder, "errors");
  if (!errors) return out;
  for (const json& e : *errors) {
    if (!e.is_object()) continue;
    WebhookError err;
    err.code = integer_field(e, "code").value_or(0);
    err.title = string_field(e, "title");
    err.message = string_field(e, "message");
    if (const json* data = object_field(e, "error_data"))
      err.details = string_field(*data, "details");
    out.push_back(std::move(err));
  }
  return out;
}

// The caller's profile name: the contact whose wa_id / user_id matches, else the only contact.
std::string contact_name_for(const json& value, const std::string& from,
                             const std::string& from_user_id) {
  const json* contacts = array_field(value, "contacts");
  if (!contacts || contacts->empty()) return {};
  const json* fallback = contacts->size() == 1 ? &(*contacts)[0] : nullptr;
  for (const json& c : *contacts) {
    const std::string wa_id = string_field(c, "wa_id");
    const std::string user_id = string_field(c, "user_id");
    if ((!from.empty() && wa_id == from) || (!from_user_id.empty() && user_id == from_user_id)) {
      fallback = &c;
      break;
    }
  }
  if (!fallback) return {};
  const json* profile = object_field(*fallback, "profile");
  return profile ? string_field(*profile, "name") : std::string{};
}

struct ChangeContext {
  const json& value;
  BusinessNumber business;
  std::vector<WebhookError> value_errors;
};

void parse_call_item(const json& item, const ChangeContext& ctx, WebhookBatch& batch) {
  const std::string id = string_field(item, "id");
  const std::string event = string_field(item, "event");
  if (id.empty() || event.empty()) {
    ++batch.malformed;
    return;
  }
  if (event == "connect") {
    CallConnect c;
    c.call_id = id;
    c.business = ctx.business;
    c.from = string_field(item, "from");
    c.from_user_id = string_field(item, "from_user_id");
    c.to = string_field(item, "to");
    c.direction = parse_direction(string_field(item, "direction"));
    c.timestamp = integer_field(item, "timestamp").value_or(0);
    c.biz_opaque_callback_data = string_field(item, "biz_opaque_callback_data");
    // `session` is the current format; the legacy `connection.webrtc.sdp` is ignored on purpose.
    const json* session = object_field(item, "session");
    if (!session) {
      ++batch.malformed;
      return;
    }
    c.sdp_type = parse_sdp_type(string_field(*session, "sdp_type"));
    c.sdp = string_field(*session, "sdp");
    if (c.sdp_type == SdpType::none || c.sdp.empty()) {
      ++batch.malformed;
      return;
    }
    c.contact_name = contact_name_for(ctx.value, c.from, c.from_user_id);
    batch.events.emplace_back(std::move(c));
  } else if (event == "terminate") {
    CallTerminate t;
    t.call_id = id;
    t.business = ctx.business;
    t.from = string_field(item, "from");
    t.to = string_field(item, "to");
    t.direction = parse_direction(string_field(item, "direction"));
    t.status_text = string_field(item, "status");
    t.status = parse_terminate_status(t.status_text);
    t.timestamp = integer_field(item, "timestamp").value_or(0);
    t.start_time = integer_field(item, "start_time");
    t.end_time = integer_field(item, "end_time");
    t.duration_seconds = integer_field(item, "duration");
    t.errors = parse_errors(item);
    if (t.errors.empty()) t.errors = ctx.value_errors;
    t.biz_opaque_callback_data = string_field(item, "biz_opaque_callback_data");
    batch.events.emplace_back(std::move(t));
  } else {
    // call_created (SIP), call_recording_available, call_transcription_available, …
    ++batch.ignored;
  }
}

void parse_status_item(const json& item, const ChangeContext& ctx, WebhookBatch& batch) {
  if (string_field(item, "type") != "call") {
    ++batch.ignored; // message delivery statuses
    return;
  }
  CallStatus s;
  s.call_id = string_field(item, "id");
  s.status_text = string_field(item, "status");
  if (s.call_id.empty() || s.status_text.empty()) {
    ++batch.malformed;
    return;
  }
  s.business = ctx.business;
  s.status = parse_call_status(s.status_text);
  s.recipient_id = string_field(item, "recipient_id");
  s.recipient_user_id = string_field(item, "recipient_user_id");
  s.timestamp = integer_field(item, "timestamp").value_or(0);
  s.biz_opaque_callback_data = string_field(item, "biz_opaque_callback_data");
  batch.events.emplace_back(std::move(s));
}

void parse_change(const json& change, WebhookBatch& batch) {
  const json* value = object_field(change, "value");
  if (!value) {
    ++batch.malformed;
    return;
  }
  ChangeContext ctx{*value, {}, parse_errors(*value)};
  if (const json* metadata = object_field(*value, "metadata")) {
    ctx.business.phone_number_id = string_field(*metadata, "phone_number_id");
    ctx.business.display_phone_number = string_field(*metadata, "display_phone_number");
  }

  const json* calls = array_field(*value, "calls");
  const json* statuses = array_field(*value, "statuses");
  if (calls) {
    for (const json& item : *calls)
      parse_call_item(item, ctx, batch);
  }
  if (statuses) {
    for (const json& item : *statuses)
      parse_status_item(item, ctx, batch);
  }
  if (!calls && !ctx.value_errors.empty()) {
    batch.events.emplace_back(ValueErrors{ctx.business, ctx.value_errors});
  } else if (!calls && !statuses) {
    ++batch.ignored; // messages, contacts-only changes, other fields
  }
}

bool safe_challenge(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

} // namespace

WebhookBatch parse_webhook(std::string_view body, const WebhookLimits& limits) {
  WebhookBatch batch;
  std::string error;
  const auto root =
      parse_untrusted_json(body, {limits.max_body_bytes, limits.max_json_depth}, error);
  if (!root) {
    batch.error = error;
    return batch;
  }
  if (!root->is_object()) {
    batch.error = "webhook body is not a JSON object";
    return batch;
  }
  const std::string object = string_field(*root, "object");
  if (object != "whatsapp_business_account") {
    batch.error = object.empty() ? "webhook body has no \"object\""
                                 : "webhook object is not whatsapp_business_account";
    return batch;
  }
  const json* entries = array_field(*root, "entry");
  if (!entries) {
    batch.error = "webhook body has no \"entry\" array";
    return batch;
  }
  try {
    for (const json& entry : *entries) {
      const json* changes = array_field(entry, "changes");
      if (!changes) {
        ++batch.malformed;
        continue;
      }
      for (const json& change : *changes)
        parse_change(change, batch);
    }
  } catch (const nlohmann::json::exception& e) {
    // The accessors do not throw; this is a last line of defence for the webhook endpoint.
    batch.events.clear();
    batch.error = std::string("webhook body could not be read: ") + e.what();
  }
  return batch;
}

std::optional<std::string> verify_subscription(std::string_view mode, std::string_view token,
                                               std::string_view challenge,
                                               std::string_view expected_token) {
  if (mode != "subscribe" || expected_token.empty()) return std::nullopt;
  if (token.size() != expected_token.size() ||
      CRYPTO_memcmp(token.data(), expected_token.data(), token.size()) != 0) {
    return std::nullopt;
  }
  if (!safe_challenge(challenge)) return std::nullopt;
  return std::string(challenge);
}

std::string_view to_string(CallDirection direction) {
  switch (direction) {
  case CallDirection::user_initiated: return "USER_INITIATED";
  case CallDirection::business_initiated: return "BUSINESS_INITIATED";
  case CallDirection::unknown: break;
  }
  return "unknown";
}

std::string_view to_string(SdpType type) {
  switch (type) {
  case SdpType::offer: return "offer";
  case SdpType::answer: return "answer";
  case SdpType::none: break;
  }
  return "none";
}

std::string_view to_string(TerminateStatus status) {
  switch (status) {
  case TerminateStatus::completed: return "COMPLETED";
  case TerminateStatus::failed: return "FAILED";
  case TerminateStatus::unknown: break;
  }
  return "unknown";
}

std::string_view to_string(CallStatusKind status) {
  switch (status) {
  case CallStatusKind::ringing: return "RINGING";
  case CallStatusKind::accepted: return "ACCEPTED";
  case CallStatusKind::rejected: return "REJECTED";
  case CallStatusKind::unknown: break;
  }
  return "unknown";
}

} // namespace wab::whatsapp
