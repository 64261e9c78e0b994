#pragma once
// Sans-I/O HTTP/1.x request parser (RFC 9112): feed it received bytes, take complete requests off
// the front one at a time (pipelined requests wait in the buffer), or get the error status to
// answer with. No socket, no clock, no allocation beyond the input buffer and the request fields.
//
// Accepted: origin-form targets ("/path?query") and "*"; HTTP/1.0 and HTTP/1.1; Content-Length
// bodies (identical duplicate Content-Length headers are folded, differing ones rejected).
// Rejected: Transfer-Encoding (chunked request bodies get 411 Length Required: our peers, Meta's
// webhooks and our own client, always send Content-Length; other codings get 501), obsolete line
// folding, whitespace before a header colon, bare CR, missing Host in HTTP/1.1, other versions.
//
// Owns: the input buffer. Threads: one thread at a time.
#include <cstddef>
#include <string>
#include <string_view>

#include "http/server_request.hpp"

namespace wab::http {

struct ParserLimits {
  std::size_t max_header_bytes = 16 * 1024; // request line + header fields + blank line
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_count = 100;
};

class RequestParser {
public:
  enum class Result {
    need_more, // no complete request buffered yet
    request,   // one request was written to `out`
    error,     // the stream is unusable: answer error_status() and close
  };

  explicit RequestParser(ParserLimits limits = {});

  // Appends received bytes; parsing happens in next(). Ignored after an error.
  void feed(std::string_view bytes);
  // Takes the next complete request off the buffer. After `error` every call returns `error`.
  Result next(ServerRequest& out);

  // 400, 411, 413, 417, 431, 501 or 505 once next() returned `error`; 0 before.
  int error_status() const { return error_status_; }
  // A short fixed description of the error (never echoes input).
  std::string_view error_reason() const { return error_reason_; }

  // Bytes received but not yet returned as a request.
  std::size_t buffered() const { return buffer_.size() - consumed_; }
  // True while part of a request (at least one byte other than leading blank lines) is buffered.
  bool mid_request() const;
  // The current request's headers are complete, asked for "Expect: 100-continue", and its body has
  // not fully arrived. The caller sends "100 Continue" once per request (see continue_sent()).
  bool wants_continue() const { return head_done_ && expect_continue_ && !continue_sent_; }
  void continue_sent() { continue_sent_ = true; }

private:
  Result fail(int status, std::string_view reason);
  // Parses the header block buffer_[consumed_, consumed_ + length) into pending_.
  Result parse_head(std::string_view head);
  Result parse_request_line(std::string_view line);
  Result parse_header_line(std::string_view line, bool& saw_length, std::size_t& length);
  void compact();

  ParserLimits limits_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already handed out
  std::size_t scan_from_ = 0; // where the search for the blank line resumes (absolute index)

  bool head_done_ = false; // pending_ holds a parsed head; waiting for body_length_ bytes
  std::size_t head_length_ = 0;
  std::size_t body_length_ = 0;
  bool expect_continue_ = false;
  bool continue_sent_ = false;
  ServerRequest pending_;

  int error_status_ = 0;
  std::string_view error_reason_;
};

} // namespace wab::http
