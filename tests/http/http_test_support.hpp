#pragma once
// Test helpers for the http layer: driving the loop until a condition, a raw TCP client for
// byte-exact server tests, and a multipart parser independent of the builder.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "net/event_loop.hpp"

namespace wab::http::test {

// Runs the loop until `done` holds or `limit` passes; returns whether `done` held. The limit only
// bounds a failing test, it never decides a passing one.
inline bool run_until(net::EventLoop& loop, const std::function<bool()>& done,
                      Duration limit = seconds(5)) {
  const TimePoint deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    loop.run_once(milliseconds(5));
  }
  return true;
}

// A plain TCP client whose socket the test reads without blocking.
class RawClient {
public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(const std::string& bytes) {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + offset, bytes.size() - offset, MSG_NOSIGNAL);
      if (n <= 0) return; // the server closed: the test sees it on the read side
      offset += static_cast<std::size_t>(n);
    }
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Reads whatever is available; notes end of stream (or reset).
  void poll() {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) {
        received_.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof_ = true;
      return;
    }
  }
  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }
  // Complete responses received so far (each with a Content-Length or no body). Parsed
  // incrementally so that polling in a loop stays linear.
  std::size_t responses() {
    split();
    return responses_.size();
  }
  std::vector<std::string> split_responses() {
    split();
    return responses_;
  }

private:
  void split() {
    for (;;) {
      const std::size_t end = received_.find("\r\n\r\n", parsed_);
      if (end == std::string::npos) return;
      const std::string head = received_.substr(parsed_, end + 4 - parsed_);
      std::size_t length = 0;
      const std::size_t cl = head.find("Content-Length: ");
      if (cl != std::string::npos) length = std::stoul(head.substr(cl + 16));
      if (received_.size() < end + 4 + length) return;
      responses_.push_back(received_.substr(parsed_, end + 4 + length - parsed_));
      parsed_ = end + 4 + length;
    }
  }

  int fd_ = -1;
  std::string received_;
  bool eof_ = false;
  std::size_t parsed_ = 0;
  std::vector<std::string> responses_;
};

inline int status_of(const std::string& response) {
  if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

struct ParsedPart {
  std::string name;
  std::string content_type;
  std::string body;
};

// Minimal RFC 7578 reader: splits on the delimiter lines and reads the two headers we write.
inline std::vector<ParsedPart> parse_multipart(const std::string& body,
                                               const std::string& boundary) {
  std::vector<ParsedPart> parts;
  const std::string delimiter = "--" + boundary;
  std::size_t position = body.find(delimiter);
  while (position != std::string::npos) {
    position += delimiter.size();
    if (body.compare(position, 2, "--") == 0) break; // close delimiter
    position += 2;                                   // CRLF after the delimiter
    const std::size_t head_end = body.find("\r\n\r\n", position);
    if (head_end == std::string::npos) break;
    const std::string head = body.substr(position, head_end - position);
    const std::size_t next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string::npos) break;
    ParsedPart part;
    part.body = body.substr(head_end + 4, next - head_end - 4);
    const std::size_t name = head.find("name=\"");
    if (name != std::string::npos) {
      part.name = head.substr(name + 6, head.find('"', name + 6) - name - 6);
    }
    const std::size_t type = head.find("Content-Type: ");
    if (type != std::string::npos) {
      const std::size_t type_end = head.find("\r\n", type);
      part.content_type = head.substr(
          type + 14, type_end == std::string::npos ? std::string::npos : type_end - type - 14);
    }
    parts.push_back(std::move(part));
    position = next + 2;
  }
  return parts;
}

} // namespace wab::http::test
