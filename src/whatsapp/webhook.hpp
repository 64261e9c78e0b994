#pragma once
// Meta's WhatsApp Business webhook, calling part: turns a POST body into typed events and answers
// the GET verification handshake. Parsing is pure (no I/O, no clock), any thread.
//
// Only what the bridge acts on is modelled: call `connect` / `terminate` items in `value.calls[]`,
// call statuses in `value.statuses[]` (business-initiated calls) and value-level `errors[]`.
// Messages, message statuses, unknown call events and unknown fields are skipped and counted.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wab::whatsapp {

enum class CallDirection { unknown, user_initiated, business_initiated };
enum class SdpType { none, offer, answer };

// One entry of an `errors[]` array (call item or value level).
struct WebhookError {
  std::int64_t code = 0;
  std::string title;
  std::string message;
  std::string details; // error_data.details
};

// Fields every call event carries, taken from the change's `value.metadata`.
struct BusinessNumber {
  std::string phone_number_id;
  std::string display_phone_number;
};

// `event: "connect"`: a user calls us (offer), or the callee of our outbound call answered
// (answer).
struct CallConnect {
  std::string call_id; // "wacid.…"
  BusinessNumber business;
  std::string from;         // caller's WhatsApp id; may be empty for username users…
  std::string from_user_id; // …who are identified by a BSUID instead
  std::string to;
  CallDirection direction = CallDirection::unknown;
  SdpType sdp_type = SdpType::none;
  std::string sdp;
  std::int64_t timestamp = 0; // unix seconds, 0 if absent
  std::string contact_name;   // contacts[].profile.name of the caller, if sent
  std::string biz_opaque_callback_data;

  // Who the caller is: `from`, else `from_user_id`.
  const std::string& caller() const { return from.empty() ? from_user_id : from; }
};

enum class TerminateStatus { unknown, completed, failed };

// `event: "terminate"`: the call ended (hang-up, failure, timeout). May arrive before `connect`.
struct CallTerminate {
  std::string call_id;
  BusinessNumber business;
  std::string from;
  std::string to;
  CallDirection direction = CallDirection::unknown;
  TerminateStatus status = TerminateStatus::unknown;
  std::string status_text; // as received, e.g. "COMPLETED"
  std::int64_t timestamp = 0;
  std::optional<std::int64_t> start_time; // only if the call was picked up
  std::optional<std::int64_t> end_time;
  std::optional<std::int64_t> duration_seconds;
  std::vector<WebhookError> errors; // the item's own, else the value-level ones
  std::string biz_opaque_callback_data;
};

enum class CallStatusKind { unknown, ringing, accepted, rejected };

// `statuses[]` entry with `type: "call"` (business-initiated calls only).
struct CallStatus {
  std::string call_id;
  BusinessNumber business;
  CallStatusKind status = CallStatusKind::unknown;
  std::string status_text;
  std::string recipient_id;
  std::string recipient_user_id;
  std::int64_t timestamp = 0;
  std::string biz_opaque_callback_data;
};

// Value-level `errors[]` in a change that carries no call item (e.g. 131044 on a user call).
struct ValueErrors {
  BusinessNumber business;
  std::vector<WebhookError> errors;
};

using WebhookEvent = std::variant<CallConnect, CallTerminate, CallStatus, ValueErrors>;

struct WebhookLimits {
  std::size_t max_body_bytes = 1024 * 1024;
  int max_json_depth = 32;
};

struct WebhookBatch {
  std::vector<WebhookEvent> events; // in body order
  std::size_t ignored = 0;   // changes or items we do not handle (messages, other call events)
  std::size_t malformed = 0; // call/status items missing required fields (skipped)
  std::string error;         // non-empty: the whole body was rejected
  bool ok() const { return error.empty(); }
};

// Never throws; any input yields either events or an error.
WebhookBatch parse_webhook(std::string_view body, const WebhookLimits& limits = {});

// GET handshake: returns the challenge to echo (200) when `mode` is "subscribe" and `token`
// equals `expected_token` (constant-time); nullopt means answer 403. The challenge is only echoed
// when it is 1–128 characters of [A-Za-z0-9._-] (Meta sends digits), so nothing else is reflected.
std::optional<std::string> verify_subscription(std::string_view mode, std::string_view token,
                                               std::string_view challenge,
                                               std::string_view expected_token);

std::string_view to_string(CallDirection direction);
std::string_view to_string(SdpType type);
std::string_view to_string(TerminateStatus status);
std::string_view to_string(CallStatusKind status);

} // namespace wab::whatsapp
