#pragma once
// What a route handler answers, and its HTTP/1.1 serialisation. Value types; any thread.
#include <string>
#include <string_view>

#include "http/headers.hpp"

namespace wab::http {

struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra fields. Content-Length, Connection, Transfer-Encoding and Content-Type are written by the
  // server and ignored here; fields whose name or value could break framing are dropped.
  Headers headers;
};

// "OK", "Not Found", ...; "Unknown" for codes this server never produces.
std::string_view reason_phrase(int status);

// Appends status line, headers (always Content-Type, Content-Length and Connection; 1xx, 204 and
// 304 carry no body and no Content-Length) and, unless `head_only`, the body.
void append_response(std::string& out, const ServerResponse& response, bool keep_alive,
                     bool head_only);

// The head of a response whose body follows piece by piece and ends when the connection closes
// (server-sent events): no Content-Length, "Connection: close", then `response.body` as the first
// piece.
void append_stream_head(std::string& out, const ServerResponse& response);

// A minimal error response: the reason phrase as a text body.
ServerResponse error_response(int status);

} // namespace wab::http
