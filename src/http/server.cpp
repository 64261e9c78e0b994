#include "http/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <stdexcept>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"
#include "http/io_watcher.hpp"
#include "http/server_connection.hpp"
#include "net/event_loop.hpp"

namespace wab::http {

// ---- Responder -------------------------------------------------------------------------------

Responder::State::~State() {
  if (sent) return;
  if (auto alive = connection.lock()) alive->respond(sequence, error_response(500));
}

void Responder::send(ServerResponse response) const {
  if (!state_ || state_->sent) return;
  state_->sent = true;
  if (auto connection = state_->connection.lock()) connection->respond(state_->sequence, response);
}

void Responder::send(int status, std::string body, std::string content_type) const {
  ServerResponse response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  send(std::move(response));
}

ResponseStream Responder::stream(ServerResponse head) const {
  if (!state_ || state_->sent) return {};
  state_->sent = true;
  auto connection = state_->connection.lock();
  if (!connection || !connection->start_stream(state_->sequence, head)) return {};
  return ResponseStream(connection);
}

bool ResponseStream::write(std::string_view data) const {
  auto connection = connection_.lock();
  return connection && connection->stream_write(data);
}

bool ResponseStream::open() const {
  auto connection = connection_.lock();
  return connection && connection->streaming();
}

void ResponseStream::close() const {
  if (auto connection = connection_.lock(); connection && connection->streaming()) {
    connection->close();
  }
}

bool Responder::pending() const {
  if (!state_ || state_->sent) return false;
  auto connection = state_->connection.lock();
  return connection && connection->awaiting(state_->sequence);
}

// ---- Server::Impl ----------------------------------------------------------------------------

namespace {

constexpr int kBacklog = 128;
constexpr int kAcceptsPerRound = 64;
constexpr auto kAcceptPauseOnExhaustion = milliseconds(100);
constexpr std::string_view kBusyResponse =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 20\r\nConnection: close\r\n\r\nService Unavailable\n";

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

} // namespace

class Server::Impl final : public ConnectionOwner {
public:
  Impl(net::EventLoop& loop, ServerLimits limits)
      : loop_(loop), limits_(limits), watcher_(loop), accept_pause_(loop, [this] { resume(); }) {}

  ~Impl() override {
    close_listeners();
    for (auto& [fd, connection] : connections_)
      connection->close(false);
    connections_.clear();
  }

  void route(std::string method, std::string path, Handler handler) {
    routes_[std::move(path)][std::move(method)] = std::move(handler);
  }

  std::uint16_t listen(const std::string& host, std::uint16_t port) {
    const auto address = net::SocketAddress::parse(host, port);
    if (!address) throw std::invalid_argument("Server::listen: host must be a numeric IP");
    sockaddr_storage storage{};
    const socklen_t length = address->to_sockaddr(storage);
    FdCloser socket_fd{::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (socket_fd.fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    const int one = 1;
    ::setsockopt(socket_fd.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(socket_fd.fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
      throw std::system_error(errno, std::generic_category(), "bind " + address->to_string());
    }
    if (::listen(socket_fd.fd, kBacklog) != 0) {
      throw std::system_error(errno, std::generic_category(), "listen");
    }
    sockaddr_storage bound{};
    socklen_t bound_length = sizeof bound;
    ::getsockname(socket_fd.fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
    const auto bound_address =
        net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&bound), bound_length);
    const int fd = socket_fd.fd;
    watcher_.watch(fd, true, false, [this, fd](bool, bool) { accept_ready(fd); });
    socket_fd.fd = -1;
    listeners_.push_back(fd);
    stopped_ = false;
    log::info("http.listening", {{"address", bound_address ? bound_address->to_string() : host}});
    return bound_address ? bound_address->port() : port;
  }

  void stop_accepting() {
    close_listeners();
    stopped_ = true;
    std::vector<std::shared_ptr<ServerConnection>> all;
    all.reserve(connections_.size());
    for (auto& [fd, connection] : connections_)
      all.push_back(connection);
    for (auto& connection : all)
      connection->drain();
  }

  std::size_t connection_count() const { return connections_.size(); }
  Stats& stats() override { return stats_; }
  bool draining() const override { return stopped_; }

  void connection_closed(ServerConnection& connection) override {
    connections_.erase(connection.fd());
  }

  void dispatch(const ServerRequest& request, Responder responder) override {
    const auto by_path = routes_.find(request.path);
    if (by_path == routes_.end()) {
      responder.send(error_response(404));
      return;
    }
    const auto& methods = by_path->second;
    auto handler = methods.find(request.method);
    if (handler == methods.end() && request.method == "HEAD") handler = methods.find("GET");
    if (handler == methods.end()) {
      ServerResponse response = error_response(405);
      std::string allow;
      for (const auto& [method, unused] : methods) {
        if (!allow.empty()) allow += ", ";
        allow += method;
        if (method == "GET" && methods.count("HEAD") == 0) allow += ", HEAD";
      }
      response.headers.emplace_back("Allow", allow);
      responder.send(std::move(response));
      return;
    }
    // A copy: the handler may replace routes (and so its own std::function) while it runs.
    const Handler run = handler->second;
    try {
      run(request, responder);
    } catch (const std::exception& e) {
      log::error("http.handler_failed", {{"path", request.path}, {"what", e.what()}});
      responder.send(error_response(500));
    }
  }

private:
  void accept_ready(int listen_fd) {
    for (int i = 0; i < kAcceptsPerRound; ++i) {
      sockaddr_storage peer{};
      socklen_t peer_length = sizeof peer;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &peer_length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // The pending connection stays readable: pause or the loop would spin on it.
          log::warn("http.accept_exhausted", {{"errno", errno}});
          for (const int listener : listeners_)
            watcher_.set_interest(listener, false, false);
          accept_pause_.arm(loop_.now() + kAcceptPauseOnExhaustion);
        }
        return; // EAGAIN, or a connection reset before we took it
      }
      ++stats_.accepted;
      if (connections_.size() >= limits_.max_connections) {
        ++stats_.rejected_busy;
        [[maybe_unused]] const auto sent =
            ::send(fd, kBusyResponse.data(), kBusyResponse.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::close(fd);
        continue;
      }
      const auto address =
          net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&peer), peer_length);
      auto connection = std::make_shared<ServerConnection>(loop_, watcher_, *this, limits_, fd,
                                                           address.value_or(net::SocketAddress{}));
      connections_[fd] = connection;
      try {
        connection->start();
      } catch (const std::system_error& e) {
        log::warn("http.connection_failed", {{"what", e.what()}});
        connections_.erase(fd); // the connection's destructor closes the socket
      }
    }
  }

  void resume() {
    for (const int listener : listeners_)
      watcher_.set_interest(listener, true, false);
  }

  void close_listeners() {
    accept_pause_.disarm();
    for (const int fd : listeners_) {
      watcher_.unwatch(fd);
      ::close(fd);
    }
    listeners_.clear();
  }

  net::EventLoop& loop_;
  ServerLimits limits_;
  IoWatcher watcher_;
  net::LoopTimer accept_pause_;
  std::vector<int> listeners_;
  bool stopped_ = false;
  std::map<std::string, std::map<std::string, Handler>> routes_;
  std::unordered_map<int, std::shared_ptr<ServerConnection>> connections_;
  Stats stats_;
};

// ---- Server ----------------------------------------------------------------------------------

Server::Server(net::EventLoop& loop, ServerLimits limits)
    : impl_(std::make_unique<Impl>(loop, limits)) {}
Server::~Server() = default;

void Server::route(std::string method, std::string path, Handler handler) {
  impl_->route(std::move(method), std::move(path), std::move(handler));
}
std::uint16_t Server::listen(const std::string& host, std::uint16_t port) {
  return impl_->listen(host, port);
}
void Server::stop_accepting() {
  impl_->stop_accepting();
}
std::size_t Server::connection_count() const {
  return impl_->connection_count();
}
const Server::Stats& Server::stats() const {
  return impl_->stats();
}

} // namespace wab::http
