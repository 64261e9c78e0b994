#pragma once
// Internal to the server: one accepted TCP connection. Reads into a RequestParser, hands complete
// requests to the owner one at a time, writes responses in order, enforces the timeouts and
// closes. Not part of the public API.
//
// Owns: the socket fd (closed in close()/destructor), the parser, the output buffer, one timer.
// Threads: the loop's thread only. Lifetime: held by shared_ptr in the server's table; callbacks
// hold a temporary reference so close() from inside them is safe.
#include <cstdint>
#include <memory>
#include <string>

#include "http/io_watcher.hpp"
#include "http/request_parser.hpp"
#include "http/server.hpp"
#include "net/event_loop.hpp"

namespace wab::http {

class ConnectionOwner {
public:
  virtual ~ConnectionOwner() = default;
  // Routes a request; must answer through `responder` (now or later).
  virtual void dispatch(const ServerRequest& request, Responder responder) = 0;
  // The connection closed its socket; the owner drops its reference.
  virtual void connection_closed(ServerConnection& connection) = 0;
  virtual bool draining() const = 0;
  virtual Server::Stats& stats() = 0;
};

class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
public:
  ServerConnection(net::EventLoop& loop, IoWatcher& watcher, ConnectionOwner& owner,
                   const ServerLimits& limits, int fd, net::SocketAddress peer);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Registers with the watcher and arms the idle timer. Call once, after construction.
  void start();
  // Answers request number `sequence`; ignored if it is not the one awaiting an answer.
  void respond(std::uint64_t sequence, const ServerResponse& response);
  bool awaiting(std::uint64_t sequence) const;
  // Answers request `sequence` with the head of a streamed response and keeps the connection for
  // it (no further request is read); false if that request is not awaiting an answer.
  bool start_stream(std::uint64_t sequence, const ServerResponse& head);
  // Appends to the streamed body; false once closed (closes a client that reads too slowly).
  bool stream_write(std::string_view data);
  bool streaming() const { return streaming_ && !closed_; }
  // The server stops accepting: close now if idle, otherwise after the current response.
  void drain();
  // Closes the socket at once (no response); tells the owner unless `notify_owner` is false.
  void close(bool notify_owner = true);
  int fd() const { return fd_; }

private:
  void on_io(bool readable, bool writable);
  void on_readable();
  void on_timer();
  // Parses and dispatches buffered requests while none is awaiting an answer.
  void process();
  // Dispatches complete requests until one awaits its answer; true if unsent output stopped it.
  bool dispatch_buffered();
  void schedule_resume();
  void flush();
  // Sends output appended outside process() and updates interest and timer.
  void send_now();
  void fail(int status);
  void start_linger();
  void update_interest();
  void arm_timer();
  bool idle() const;

  net::EventLoop& loop_;
  IoWatcher& watcher_;
  ConnectionOwner& owner_;
  const ServerLimits& limits_;
  int fd_;
  net::SocketAddress peer_;
  RequestParser parser_;
  net::LoopTimer timer_;

  std::string out_;
  std::size_t out_offset_ = 0;

  std::uint64_t sequence_ = 0; // number of the last dispatched request
  bool awaiting_response_ = false;
  bool keep_alive_ = true;    // of the request awaiting an answer
  bool head_request_ = false; // of the request awaiting an answer
  bool close_after_write_ = false;
  bool lingering_ = false; // write side shut; discarding input until EOF or linger timeout
  bool peer_eof_ = false;
  bool read_paused_ = false;
  bool resume_posted_ = false;
  bool in_process_ = false;
  bool closed_ = false;
  bool registered_ = false;
  bool streaming_ = false; // the answer is a stream: it ends when the connection closes

  TimePoint request_started_{}; // first byte of the request being received
  TimePoint last_activity_{};   // accept, or last response fully written, or last write progress
};

// Shared by all copies of one Responder (see server.hpp).
struct Responder::State {
  std::weak_ptr<ServerConnection> connection;
  std::uint64_t sequence = 0;
  bool sent = false;
  ~State(); // answers 500 if nobody sent
};

} // namespace wab::http
