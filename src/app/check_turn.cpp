// `wabridge check`: each TURN server of TURN_URLS is asked for a real allocation with the
// configured credentials (then released), so a wrong password or a blocked port shows before a
// call fails on it.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "app/check.hpp"
#include "net/interfaces.hpp"
#include "turn/client.hpp"
#include "turn/server_url.hpp"

namespace wab::app {
namespace {

// A UDP socket for one check (closed on every path).
class CheckSocket {
public:
  explicit CheckSocket(int family) : fd_(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~CheckSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  CheckSocket(const CheckSocket&) = delete;
  CheckSocket& operator=(const CheckSocket&) = delete;
  int fd() const { return fd_; }

private:
  int fd_;
};

struct Allocation : turn::Client::Listener {
  int fd = -1;
  sockaddr_storage server{};
  socklen_t server_len = 0;
  std::optional<net::SocketAddress> relayed;
  std::string failure;
  void on_turn_send(Bytes m) override {
    ::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&server), server_len);
  }
  void on_turn_allocated(const net::SocketAddress& r, const net::SocketAddress&) override {
    relayed = r;
  }
  void on_turn_failed(const std::string& cause) override { failure = cause; }
  void on_turn_data(const net::SocketAddress&, MutableBytes, TimePoint) override {}
};

void check_one(const Config& c, const std::string& text, Duration timeout,
               std::vector<Finding>& out) {
  std::string error;
  const auto url = turn::ServerUrl::parse(text, error);
  if (!url) {
    out.push_back({Finding::Level::error, "TURN_URLS", text + ": " + error,
                   "use turn:host:port, e.g. turn:turn.example.com:3478"});
    return;
  }
  net::SocketAddress server;
  try {
    const bool v6 = url->host.find(':') != std::string::npos;
    server = net::resolve_host_port((v6 ? "[" + url->host + "]" : url->host) + ":" +
                                    std::to_string(url->port));
  } catch (const std::exception& e) {
    out.push_back({Finding::Level::error, "TURN_URLS", url->to_string() + ": " + e.what(), {}});
    return;
  }
  Allocation a;
  a.server_len = server.to_sockaddr(a.server);
  CheckSocket socket(a.server.ss_family);
  if (socket.fd() < 0) return;
  a.fd = socket.fd();
  turn::Client::Config config;
  config.username = c.turn_username;
  config.password = c.turn_password;
  config.request_timeout = timeout;
  turn::Client client(a, config);
  client.start(Clock::now());
  while (!a.relayed && a.failure.empty()) {
    const auto next = client.next_timeout();
    if (!next) break;
    const auto wait = std::chrono::ceil<milliseconds>(*next - Clock::now()).count();
    pollfd p{socket.fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(wait, 0))) > 0) {
      std::uint8_t in[1500];
      const ssize_t n = ::recv(socket.fd(), in, sizeof in, 0);
      if (n > 0) client.handle_message(MutableBytes(in, static_cast<std::size_t>(n)), Clock::now());
    }
    if (auto t = client.next_timeout(); t && *t <= Clock::now())
      client.handle_timeout(Clock::now());
  }
  if (a.relayed) {
    client.close(); // releases the allocation at once
    out.push_back({Finding::Level::ok,
                   "TURN_URLS",
                   url->to_string() + " allocates a relay (" + a.relayed->to_string() + ")",
                   {}});
  } else {
    out.push_back({Finding::Level::error, "TURN_URLS", url->to_string() + ": " + a.failure,
                   "check TURN_USERNAME/TURN_PASSWORD and that outbound UDP to the server is "
                   "allowed"});
  }
}

} // namespace

void check_turn(const Config& c, Duration timeout, std::vector<Finding>& out) {
  if (c.turn_username.empty() || c.turn_password.empty()) return; // a configuration finding
  for (const auto& url : c.turn_urls)
    check_one(c, url, timeout, out);
}

} // namespace wab::app
