#pragma once
// One HTTP/1.x request as the server hands it to a route handler. A value type; any thread.
#include <optional>
#include <string>
#include <string_view>

#include "http/headers.hpp"
#include "net/socket_address.hpp"

namespace wab::http {

struct ServerRequest {
  std::string method;    // as sent (case-sensitive per RFC 9110), e.g. "POST"
  std::string target;    // request-target as received, e.g. "/webhook?hub.mode=subscribe"
  std::string path;      // target up to '?', not decoded: routes match it exactly
  QueryParams query;     // decoded ('+' is a space)
  Headers headers;       // names lower-cased, values without surrounding whitespace, in order
  std::string body;      // exactly the bytes received (webhook signatures are computed over them)
  int minor_version = 1; // HTTP/1.<minor>
  bool keep_alive = true;
  net::SocketAddress peer;

  // First value of a header (lower-case name), or empty.
  std::string_view header(std::string_view lower_name) const {
    return find_header(headers, lower_name).value_or(std::string_view{});
  }
  // First decoded value of a query parameter, or nullopt.
  std::optional<std::string_view> query_param(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return std::string_view(value);
    }
    return std::nullopt;
  }
};

} // namespace wab::http
