#pragma once
// Meta's webhook signature: every POST carries `X-Hub-Signature-256: sha256=<hex>`, the
// HMAC-SHA256 of the raw request body keyed with the app secret. Stateless, any thread.
#include <string>
#include <string_view>

namespace wab::whatsapp {

// True only when `header_value` is `sha256=` followed by exactly 64 hex digits (either case,
// surrounding spaces tolerated) equal to HMAC-SHA256(app_secret, raw_body). The digest comparison
// is constant-time. An empty secret, a missing or malformed header always fail.
bool verify_signature(std::string_view app_secret, std::string_view raw_body,
                      std::string_view header_value);

// The header value Meta would send for `raw_body` ("sha256=" + lower-case hex); for simulators and
// tests. Returns an empty string when the HMAC cannot be computed.
std::string sign_body(std::string_view app_secret, std::string_view raw_body);

} // namespace wab::whatsapp
