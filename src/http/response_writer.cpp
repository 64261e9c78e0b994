#include "http/response_writer.hpp"

#include <algorithm>

namespace wab::http {
namespace {

bool safe_field(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) return false;
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool written_by_server(std::string_view name) {
  return iequals_ascii(name, "content-length") || iequals_ascii(name, "connection") ||
         iequals_ascii(name, "transfer-encoding") || iequals_ascii(name, "content-type");
}

} // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
  case 100: return "Continue";
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 411: return "Length Required";
  case 413: return "Content Too Large";
  case 415: return "Unsupported Media Type";
  case 417: return "Expectation Failed";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  case 505: return "HTTP Version Not Supported";
  default: return "Unknown";
  }
}

namespace {

// Status line and fields; `content_length` is omitted when null (bodiless statuses, streams).
void append_head(std::string& out, const ServerResponse& response, int status,
                 const std::string* content_length, bool keep_alive) {
  out.append("HTTP/1.1 ");
  out.append(std::to_string(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\nContent-Type: ");
  out.append(safe_field("content-type", response.content_type) ? response.content_type
                                                               : "application/octet-stream");
  if (content_length) {
    out.append("\r\nContent-Length: ");
    out.append(*content_length);
  }
  out.append(keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
  for (const auto& [name, value] : response.headers) {
    if (written_by_server(name) || !safe_field(name, value)) continue;
    out.append("\r\n");
    out.append(name);
    out.append(": ");
    out.append(value);
  }
  out.append("\r\n\r\n");
}

int valid_status(int status) {
  return (status >= 100 && status <= 999) ? status : 500;
}

} // namespace

void append_response(std::string& out, const ServerResponse& response, bool keep_alive,
                     bool head_only) {
  const int status = valid_status(response.status);
  const bool bodiless = status < 200 || status == 204 || status == 304;
  const std::string length = std::to_string(response.body.size());
  append_head(out, response, status, bodiless ? nullptr : &length, keep_alive);
  if (!bodiless && !head_only) out.append(response.body);
}

void append_stream_head(std::string& out, const ServerResponse& response) {
  append_head(out, response, valid_status(response.status), nullptr, false);
  out.append(response.body);
}

ServerResponse error_response(int status) {
  ServerResponse response;
  response.status = status;
  response.body = std::string(reason_phrase(status)) + "\n";
  return response;
}

} // namespace wab::http
