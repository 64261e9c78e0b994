#include "http/sse.hpp"

namespace wab::http {

std::string sse_event(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 24);
  if (!name.empty()) {
    out.append("event: ");
    for (const char c : name) {
      if (c != '\r' && c != '\n') out.push_back(c);
    }
    out.push_back('\n');
  }
  // One data field per line; a trailing line break yields a last, empty field (the client's
  // buffer keeps it as a trailing LF).
  std::size_t start = 0;
  for (;;) {
    std::size_t end = start;
    while (end < data.size() && data[end] != '\r' && data[end] != '\n')
      ++end;
    out.append("data: ");
    out.append(data.substr(start, end - start));
    out.push_back('\n');
    if (end >= data.size()) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
  }
  out.push_back('\n');
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  for (const char c : text)
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\n\n");
  return out;
}

std::string sse_retry(unsigned milliseconds) {
  return "retry: " + std::to_string(milliseconds) + "\n\n";
}

} // namespace wab::http
