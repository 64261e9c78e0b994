#include "http/request_parser.hpp"

#include <algorithm>
#include <utility>

namespace wab::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kBlankLine = "\r\n\r\n";
constexpr std::size_t kMaxMethodLength = 32;

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && is_ows(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_ows(text.back()))
    text.remove_suffix(1);
  return text;
}

// Field values may hold HTAB, visible ASCII, SP and obs-text, nothing else (no NUL, CR, LF).
bool valid_field_value(std::string_view value) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool valid_target(std::string_view target) {
  if (target.empty()) return false;
  for (const char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return target == "*" || target.front() == '/';
}

// Parses one decimal Content-Length element; nullopt if empty, not all digits, or absurdly large.
std::optional<std::size_t> parse_length(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::size_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

// Calls `fn` with each trimmed, non-empty element of a comma-separated field value.
template <typename Fn> void for_each_element(std::string_view value, Fn&& fn) {
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view element = trim_ows(value.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

} // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::feed(std::string_view bytes) {
  if (error_status_ != 0) return;
  buffer_.append(bytes.data(), bytes.size());
}

bool RequestParser::mid_request() const {
  if (head_done_) return true;
  for (std::size_t i = consumed_; i < buffer_.size(); ++i) {
    if (buffer_[i] != '\r' && buffer_[i] != '\n') return true;
  }
  return false;
}

RequestParser::Result RequestParser::fail(int status, std::string_view reason) {
  error_status_ = status;
  error_reason_ = reason;
  buffer_.clear();
  buffer_.shrink_to_fit();
  consumed_ = 0;
  scan_from_ = 0;
  return Result::error;
}

void RequestParser::compact() {
  // Drop handed-out bytes once they dominate, so pipelined input costs amortised O(1) per byte.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    scan_from_ = 0;
    consumed_ = 0;
  } else if (consumed_ > 4096 && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    scan_from_ -= std::min(scan_from_, consumed_);
    consumed_ = 0;
  }
}

RequestParser::Result RequestParser::next(ServerRequest& out) {
  if (error_status_ != 0) return Result::error;
  if (!head_done_) {
    // RFC 9112 §2.2: ignore blank lines before a request line (some clients send a stray CRLF).
    while (buffer_.size() - consumed_ >= 2 && buffer_.compare(consumed_, 2, kCrlf) == 0) {
      consumed_ += 2;
    }
    scan_from_ = std::max(scan_from_, consumed_);
    const std::size_t end = buffer_.find(kBlankLine, scan_from_);
    if (end == std::string::npos) {
      if (buffered() > limits_.max_header_bytes) return fail(431, "header section too large");
      // Reject a stream that cannot be HTTP (e.g. a TLS ClientHello) now, not at the timeout.
      const std::string_view start = std::string_view(buffer_).substr(consumed_, kMaxMethodLength);
      const std::size_t space = start.find(' ');
      const std::string_view method = start.substr(0, space);
      if ((start != "\r" && !std::all_of(method.begin(), method.end(), is_token_char)) ||
          (space == std::string_view::npos && start.size() == kMaxMethodLength)) {
        return fail(400, "malformed request line");
      }
      // Resume where a blank line could still start; keeps byte-by-byte feeding linear.
      scan_from_ = std::max(consumed_, buffer_.size() >= 3 ? buffer_.size() - 3 : 0);
      compact();
      return Result::need_more;
    }
    const std::size_t head_length = end + kBlankLine.size() - consumed_;
    if (head_length > limits_.max_header_bytes) return fail(431, "header section too large");
    // The head without the final empty line: request line and fields, each ending in CRLF.
    const Result parsed =
        parse_head(std::string_view(buffer_).substr(consumed_, head_length - kCrlf.size()));
    if (parsed == Result::error) return parsed;
    head_done_ = true;
    head_length_ = head_length;
  }
  if (buffered() < head_length_ + body_length_) return Result::need_more;

  out = std::move(pending_);
  out.body.assign(buffer_, consumed_ + head_length_, body_length_);
  consumed_ += head_length_ + body_length_;
  pending_ = ServerRequest{};
  head_done_ = false;
  head_length_ = 0;
  body_length_ = 0;
  expect_continue_ = false;
  continue_sent_ = false;
  scan_from_ = consumed_;
  compact();
  return Result::request;
}

RequestParser::Result RequestParser::parse_head(std::string_view head) {
  // Every line must end in CRLF; a bare CR or LF anywhere is a framing attack or garbage.
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n')) {
      return fail(400, "bare CR");
    }
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) return fail(400, "bare LF");
  }
  std::size_t line_end = head.find(kCrlf);
  if (parse_request_line(head.substr(0, line_end)) == Result::error) return Result::error;
  head.remove_prefix(line_end + kCrlf.size());

  bool saw_length = false;
  std::size_t length = 0;
  std::size_t count = 0;
  std::size_t host_count = 0;
  bool transfer_encoding = false;
  bool chunked = false;
  while (!head.empty()) {
    line_end = head.find(kCrlf);
    const std::string_view line = head.substr(0, line_end);
    head.remove_prefix(line_end + kCrlf.size());
    if (++count > limits_.max_header_count) return fail(431, "too many header fields");
    if (parse_header_line(line, saw_length, length) == Result::error) return Result::error;
    const std::string& name = pending_.headers.back().first;
    const std::string& value = pending_.headers.back().second;
    if (name == "host") {
      ++host_count;
    } else if (name == "transfer-encoding") {
      transfer_encoding = true;
      for_each_element(value, [&](std::string_view coding) {
        chunked = iequals_ascii(coding, "chunked"); // the last coding decides the framing
      });
    } else if (name == "connection") {
      for_each_element(value, [&](std::string_view option) {
        if (iequals_ascii(option, "close")) pending_.keep_alive = false;
        if (iequals_ascii(option, "keep-alive") && pending_.minor_version == 0) {
          pending_.keep_alive = true;
        }
      });
    } else if (name == "expect") {
      if (!iequals_ascii(value, "100-continue")) return fail(417, "unsupported expectation");
      expect_continue_ = true;
    }
  }
  if (host_count > 1 || (host_count == 0 && pending_.minor_version == 1)) {
    return fail(400, "missing or repeated Host");
  }
  if (transfer_encoding) {
    if (saw_length) return fail(400, "both Transfer-Encoding and Content-Length");
    if (chunked) return fail(411, "chunked request bodies are not accepted");
    return fail(501, "unsupported transfer coding");
  }
  if (length > limits_.max_body_bytes) return fail(413, "body too large");
  body_length_ = length;
  // HTTP/1.0 without "Connection: keep-alive" closes after the response.
  return Result::need_more;
}

RequestParser::Result RequestParser::parse_request_line(std::string_view line) {
  const std::size_t first = line.find(' ');
  if (first == std::string_view::npos || first == 0) return fail(400, "malformed request line");
  const std::size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos) return fail(400, "malformed request line");
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (method.size() >= kMaxMethodLength ||
      !std::all_of(method.begin(), method.end(), is_token_char)) {
    return fail(400, "bad method");
  }
  if (!valid_target(target)) return fail(400, "bad request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return fail(400, "bad HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return fail(505, "HTTP version not supported");
  }
  pending_.method.assign(method);
  pending_.target.assign(target);
  pending_.minor_version = version[7] - '0';
  pending_.keep_alive = pending_.minor_version == 1;
  const std::size_t question = target.find('?');
  pending_.path.assign(target.substr(0, question));
  if (question != std::string_view::npos) {
    auto query = parse_query(target.substr(question + 1));
    if (!query) return fail(400, "bad query escape");
    pending_.query = std::move(*query);
  }
  return Result::need_more;
}

RequestParser::Result RequestParser::parse_header_line(std::string_view line, bool& saw_length,
                                                       std::size_t& length) {
  const std::size_t colon = line.find(':');
  // Also rejects obsolete line folding (a line starting with whitespace) and "Name :".
  if (colon == std::string_view::npos || colon == 0) return fail(400, "malformed header field");
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_token_char)) {
    return fail(400, "malformed header name");
  }
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!valid_field_value(value)) return fail(400, "malformed header value");
  pending_.headers.emplace_back(to_lower_ascii(name), std::string(value));
  if (pending_.headers.back().first != "content-length") return Result::need_more;

  // RFC 9110 §8.6: a list of identical values is the same length; anything else is an attack.
  bool ok = true;
  bool any = false;
  for_each_element(value, [&](std::string_view element) {
    const auto parsed = parse_length(element);
    if (!parsed || (saw_length && *parsed != length)) {
      // An oversized but well-formed number is "too large", not "malformed".
      const bool digits =
          !element.empty() && element.size() > 18 &&
          std::all_of(element.begin(), element.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (digits && !saw_length) {
        length = static_cast<std::size_t>(-1);
        saw_length = true;
        any = true;
        return;
      }
      ok = false;
      return;
    }
    length = *parsed;
    saw_length = true;
    any = true;
  });
  if (!ok || !any) return fail(400, "bad Content-Length");
  return Result::need_more;
}

} // namespace wab::http
