#pragma once
// Asynchronous HTTP(S) client on one EventLoop, built on libcurl's multi interface: many requests
// in flight, no thread per request, the loop drives curl's sockets (through an IoWatcher) and its
// single timer.
//
// Owns: the CURLM handle and one CURL easy handle (with its header list) per request in flight.
// Threads: the loop's thread only (construct, send, cancel, destroy; callbacks run there).
// Callbacks: always asynchronous (never from inside send()), exactly once per request, and never
// after cancel() or the Client's destruction. A callback may send, cancel or destroy the Client.
// Secrets: request header values (Authorization, ...) are never logged.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "http/headers.hpp"

namespace wab::net {
class EventLoop;
}

namespace wab::http {

struct Request {
  std::string method = "GET"; // GET, HEAD, POST, PUT, PATCH, DELETE, ...
  std::string url;            // http:// or https:// only
  Headers headers;            // e.g. {"Authorization", "Bearer …"}; never logged
  std::string body;
  Duration timeout = seconds(10);                   // whole request, connect included
  std::size_t max_response_bytes = 8 * 1024 * 1024; // larger bodies fail the request
};

struct Response {
  int status = 0;  // 0 when the request did not complete (see error)
  Headers headers; // of the final response; names lower-cased, values trimmed
  std::string body;
  std::string error; // transport failure (DNS, connect, timeout, TLS); empty on success
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  // First header with that (lower-case) name, or empty.
  std::string header(std::string_view lower_name) const;
};

class Client {
public:
  using Callback = std::function<void(Response)>;
  // Throws std::runtime_error if libcurl cannot be initialised.
  explicit Client(net::EventLoop& loop);
  // Cancels requests in flight without calling their callbacks.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts the request; `done` runs later on the loop thread exactly once (never from inside
  // send()). Returns an id (never 0) usable with cancel().
  std::uint64_t send(Request request, Callback done);
  // Drops a request in flight; its callback is not called. Unknown ids are ignored.
  void cancel(std::uint64_t id);
  // Requests whose callback has not run yet.
  std::size_t in_flight() const;

  class Impl;

private:
  std::unique_ptr<Impl> impl_;
};

// multipart/form-data body builder (RFC 7578) for OpenAI's unified /realtime/calls request.
struct MultipartPart {
  std::string name;         // form field name; '"', CR and LF are percent-encoded
  std::string content_type; // omitted from the part when empty
  std::string body;
};
// Returns {content-type header value, body}; the boundary is random and absent from every body.
std::pair<std::string, std::string> build_multipart(const std::vector<MultipartPart>& parts);

} // namespace wab::http
