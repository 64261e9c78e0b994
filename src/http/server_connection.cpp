#include "http/server_connection.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace wab::http {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// Per readiness event, so one fast sender cannot starve the other connections of the loop.
constexpr std::size_t kReadBudget = 64 * 1024;
constexpr std::size_t kMaxPendingOutput = 1024 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

} // namespace

ServerConnection::ServerConnection(net::EventLoop& loop, IoWatcher& watcher, ConnectionOwner& owner,
                                   const ServerLimits& limits, int fd, net::SocketAddress peer)
    : loop_(loop), watcher_(watcher), owner_(owner), limits_(limits), fd_(fd), peer_(peer),
      parser_(ParserLimits{limits.max_header_bytes, limits.max_body_bytes, 100}),
      timer_(loop, [this] { on_timer(); }) {
  last_activity_ = loop_.now();
}

ServerConnection::~ServerConnection() {
  close(false);
}

void ServerConnection::start() {
  // The handler holds a weak reference: the watcher entry must not keep the connection alive.
  std::weak_ptr<ServerConnection> weak = weak_from_this();
  watcher_.watch(fd_, true, false, [weak](bool readable, bool writable) {
    if (auto self = weak.lock()) self->on_io(readable, writable);
  });
  registered_ = true;
  arm_timer();
}

void ServerConnection::close(bool notify_owner) {
  if (closed_) return;
  closed_ = true;
  timer_.disarm();
  if (registered_) watcher_.unwatch(fd_);
  ::close(fd_);
  awaiting_response_ = false;
  if (notify_owner) owner_.connection_closed(*this);
}

bool ServerConnection::idle() const {
  return !awaiting_response_ && out_offset_ == out_.size() && !parser_.mid_request();
}

bool ServerConnection::awaiting(std::uint64_t sequence) const {
  return !closed_ && awaiting_response_ && sequence == sequence_;
}

void ServerConnection::drain() {
  if (closed_) return;
  auto self = shared_from_this();
  if ((idle() && !lingering_) || streaming_) { // a stream has no end of its own to wait for
    close();
    return;
  }
  // Only requests already being answered finish; later ones get "Connection: close".
  keep_alive_ = false;
}

void ServerConnection::on_io(bool readable, bool writable) {
  auto self = shared_from_this();
  if (writable) flush();
  if (closed_) return;
  if (readable) {
    on_readable();
  } else {
    process(); // output drained: pipelined requests held back by write backpressure may go on
  }
  if (closed_) return;
  update_interest();
  arm_timer();
}

void ServerConnection::on_readable() {
  char buffer[kReadChunk];
  std::size_t total = 0;
  const std::size_t cap = limits_.max_header_bytes + limits_.max_body_bytes + kReadChunk;
  while (total < kReadBudget) {
    if (!lingering_ && parser_.buffered() >= cap) {
      read_paused_ = true; // resumes once the buffered requests are answered
      break;
    }
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      if (lingering_) continue; // discarding input after an error response
      if (!parser_.mid_request()) request_started_ = loop_.now();
      parser_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
      continue;
    }
    if (n == 0) {
      // Peer finished sending. Answer what is already in hand, then close.
      if (lingering_ || (idle() && parser_.buffered() == 0)) {
        close();
        return;
      }
      peer_eof_ = true;
      read_paused_ = true;
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    close();
    return;
  }
  if (!lingering_) process();
  // A peer that left while its request is being handled is treated as gone (like a reset): the
  // Responder becomes a no-op. Half-closing clients still get answers that are ready at once.
  if (peer_eof_ && !closed_ && (awaiting_response_ || streaming_)) close();
}

void ServerConnection::process() {
  if (closed_ || lingering_ || in_process_) return;
  if (streaming_) { // no more requests on this connection: only the stream's output moves
    flush();
    if (closed_) return;
    update_interest();
    arm_timer();
    return;
  }
  for (;;) {
    in_process_ = true;
    const bool held_back = dispatch_buffered();
    in_process_ = false;
    flush();
    if (closed_) return;
    // Output held parsing back but has drained completely (no writable event will follow).
    if (!held_back || out_offset_ < out_.size()) break;
  }
  update_interest();
  arm_timer();
}

bool ServerConnection::dispatch_buffered() {
  while (!closed_ && !awaiting_response_ && !close_after_write_ && !streaming_) {
    // Stop parsing while much output is unsent: a client pipelining requests for big responses
    // without reading them must not grow our buffer without bound.
    if (out_.size() - out_offset_ >= kMaxPendingOutput) return true;
    ServerRequest request;
    const RequestParser::Result result = parser_.next(request);
    if (result == RequestParser::Result::need_more) {
      if (parser_.wants_continue()) {
        out_.append(kContinue);
        parser_.continue_sent();
      }
      // Peer closed its side and every complete request is answered.
      if (peer_eof_ && !awaiting_response_) close_after_write_ = true;
      return false;
    }
    if (result == RequestParser::Result::error) {
      ++owner_.stats().protocol_errors;
      fail(parser_.error_status());
      return false;
    }
    request.peer = peer_;
    ++sequence_;
    awaiting_response_ = true;
    keep_alive_ = request.keep_alive && !owner_.draining();
    request_started_ = loop_.now(); // the clock of a pipelined successor starts now
    head_request_ = request.method == "HEAD";
    ++owner_.stats().requests;
    auto state = std::make_shared<Responder::State>();
    state->connection = weak_from_this();
    state->sequence = sequence_;
    owner_.dispatch(request, Responder(std::move(state)));
  }
  return false;
}

void ServerConnection::respond(std::uint64_t sequence, const ServerResponse& response) {
  if (!awaiting(sequence)) return;
  const bool keep_alive = keep_alive_ && !owner_.draining();
  append_response(out_, response, keep_alive, head_request_);
  awaiting_response_ = false;
  if (!keep_alive) close_after_write_ = true;
  schedule_resume();
}

bool ServerConnection::start_stream(std::uint64_t sequence, const ServerResponse& head) {
  if (!awaiting(sequence)) return false;
  if (head_request_) {
    respond(sequence, head);
    return false;
  }
  append_stream_head(out_, head);
  awaiting_response_ = false;
  streaming_ = true;
  if (!in_process_) send_now(); // else process() sends it when the handler returns
  return true;
}

bool ServerConnection::stream_write(std::string_view data) {
  if (closed_ || !streaming_) return false;
  auto self = shared_from_this();
  if (out_.size() - out_offset_ + data.size() > limits_.max_stream_backlog) {
    close(); // a client that stopped reading must not grow our buffer
    return false;
  }
  out_.append(data);
  if (!in_process_) send_now();
  return !closed_;
}

void ServerConnection::send_now() {
  auto self = shared_from_this();
  flush();
  if (closed_) return;
  update_interest();
  arm_timer();
}

void ServerConnection::schedule_resume() {
  // Never re-enter: a handler answering synchronously is still inside process(), and an
  // asynchronous answer may come from anywhere on the loop thread.
  if (in_process_ || resume_posted_) return;
  resume_posted_ = true;
  std::weak_ptr<ServerConnection> weak = weak_from_this();
  loop_.post([weak] {
    auto self = weak.lock();
    if (!self || self->closed_) return;
    self->resume_posted_ = false;
    self->process();
  });
}

void ServerConnection::flush() {
  while (out_offset_ < out_.size()) {
    const ssize_t n =
        ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n > 0) {
      out_offset_ += static_cast<std::size_t>(n);
      last_activity_ = loop_.now();
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    close();
    return;
  }
  out_.clear();
  out_offset_ = 0;
  if (close_after_write_ && !awaiting_response_ && !lingering_) start_linger();
}

void ServerConnection::fail(int status) {
  append_response(out_, error_response(status), false, false);
  close_after_write_ = true;
}

void ServerConnection::start_linger() {
  // Closing with unread input makes the kernel send RST, which can destroy the response in
  // flight; shut the write side and discard input for a moment first.
  if (peer_eof_) {
    close();
    return;
  }
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  read_paused_ = false;
  timer_.arm(loop_.now() + limits_.linger_timeout);
}

void ServerConnection::update_interest() {
  if (closed_) return;
  if (read_paused_ && !lingering_ && !peer_eof_) {
    const std::size_t cap = limits_.max_header_bytes + limits_.max_body_bytes + kReadChunk;
    if (parser_.buffered() < cap) read_paused_ = false;
  }
  const bool want_read = lingering_ || !read_paused_;
  const bool want_write = out_offset_ < out_.size();
  watcher_.set_interest(fd_, want_read, want_write);
}

void ServerConnection::arm_timer() {
  if (closed_ || lingering_) return; // the linger deadline stays as armed
  if (out_offset_ < out_.size()) {
    timer_.arm(last_activity_ + limits_.idle_timeout); // a reader that stopped reading
  } else if (awaiting_response_ || streaming_) {
    timer_.disarm(); // the handler owns the pace; a dropped Responder answers 500
  } else if (parser_.mid_request()) {
    timer_.arm(request_started_ + limits_.request_timeout);
  } else {
    timer_.arm(last_activity_ + limits_.idle_timeout);
  }
}

void ServerConnection::on_timer() {
  auto self = shared_from_this();
  if (closed_) return;
  if (lingering_ || out_offset_ < out_.size() || awaiting_response_ || streaming_) {
    close();
    return;
  }
  ++owner_.stats().timeouts;
  if (parser_.mid_request()) {
    fail(408);
    flush();
    if (closed_) return;
    update_interest();
    return;
  }
  close(); // idle keep-alive connection
}

} // namespace wab::http
