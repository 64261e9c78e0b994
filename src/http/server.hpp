#pragma once
// A small HTTP/1.1 server on one net::EventLoop for the control plane (Meta webhooks, health and
// status routes). Routes match method + exact path. Handlers may answer at once or later through
// their Responder (e.g. after an outgoing API call); requests on one connection are answered in
// order (pipelining-safe: the next request is not parsed until the current one is answered).
// A handler may instead answer with a stream (Responder::stream, for server-sent events): the
// body follows piece by piece until either side closes, and the connection serves nothing else.
//
// Limits and what breaks them (see ServerLimits): header section → 431, body → 413, chunked
// request body → 411, malformed request → 400, slow request (first byte to last) → 408 and close,
// idle keep-alive connection → closed silently, connection limit → 503 and close, unknown path →
// 404, known path with another method → 405 with Allow. HEAD is answered by the GET route without
// body. Error responses close the connection after a short drain of unread input.
//
// Owns: the listening sockets and every connection. Responders hold weak references: once the
// connection is gone (peer left, timeout, server destroyed) Responder::send is a no-op.
// Threads: the loop's thread only, including Responder::send. Handlers must not destroy the
// Server.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "http/response_writer.hpp"
#include "http/server_request.hpp"

namespace wab::net {
class EventLoop;
}

namespace wab::http {

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_connections = 1024;
  Duration idle_timeout = seconds(10);    // keep-alive connection with no request in progress
  Duration request_timeout = seconds(10); // from a request's first byte to its last
  Duration linger_timeout = seconds(2);   // draining unread input before closing after an error
  std::size_t max_stream_backlog = 256 * 1024; // unsent bytes of a streamed response: then closed
};

class ServerConnection;

// The open body of a streamed response (Responder::stream), e.g. server-sent events. Copyable
// handle; every copy writes to the same connection. Once the connection is gone (client left,
// server stopped, client too slow: more than `ServerLimits::max_stream_backlog` unsent bytes, or
// nothing written for `idle_timeout` while output is pending) writes are no-ops returning false.
// Threads: the loop's thread only.
class ResponseStream {
public:
  ResponseStream() = default;
  // Appends to the body and sends what the socket takes now; false if the stream is closed.
  bool write(std::string_view data) const;
  bool open() const;
  // Ends the response by closing the connection.
  void close() const;

  explicit ResponseStream(std::weak_ptr<ServerConnection> connection)
      : connection_(std::move(connection)) {}

private:
  std::weak_ptr<ServerConnection> connection_;
};

// Answers one request. Copyable; all copies share one answer: the first send() wins, later ones
// and sends after the connection closed are no-ops. If every copy is dropped unanswered, the
// client gets 500 (a handler bug must not hang the connection). send() never calls back into the
// caller synchronously.
class Responder {
public:
  Responder() = default;
  void send(ServerResponse response) const;
  void send(int status, std::string body,
            std::string content_type = "text/plain; charset=utf-8") const;
  // Answers with `head` (its body is the first piece) and keeps the connection open for more:
  // see ResponseStream. The connection serves no further request. A HEAD request gets the head
  // alone and a closed stream.
  ResponseStream stream(ServerResponse head) const;
  // True until answered, and while the connection is still open.
  bool pending() const;

  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}

private:
  std::shared_ptr<State> state_;
};

class Server {
public:
  using Handler = std::function<void(const ServerRequest&, Responder)>;

  Server(net::EventLoop& loop, ServerLimits limits = {});
  // Closes the listeners and every connection; outstanding Responders become no-ops.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds or replaces the handler for `method` (case-sensitive) on exact `path`.
  void route(std::string method, std::string path, Handler handler);

  // Binds and listens on a numeric IPv4/IPv6 host ("127.0.0.1", "0.0.0.0", "::1", "::"); port 0
  // picks an ephemeral port. Returns the bound port. May be called more than once. Throws
  // std::invalid_argument for a non-numeric host, std::system_error when bind/listen fail.
  std::uint16_t listen(const std::string& host, std::uint16_t port);

  // Graceful drain: closes the listeners, closes idle connections now and every other one after
  // its current response (sent with "Connection: close").
  void stop_accepting();

  std::size_t connection_count() const;

  struct Stats {
    std::uint64_t accepted = 0;
    std::uint64_t rejected_busy = 0;   // 503 at the connection limit
    std::uint64_t requests = 0;        // dispatched to a route (or answered 404/405)
    std::uint64_t protocol_errors = 0; // 400/411/413/417/431/501/505 from the parser
    std::uint64_t timeouts = 0;        // 408 and idle closes
  };
  const Stats& stats() const;

  class Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace wab::http
