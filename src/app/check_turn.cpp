// `wabridge check`: each TURN server of TURN_URLS is asked for a real allocation with the
// configured credentials (then released), over the URL's transport (UDP, TCP, or TLS with the
// certificate verified as a call would), so a wrong password, a blocked port or an untrusted
// certificate shows before a call fails on it.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "app/check.hpp"
#include "net/event_loop.hpp"
#include "net/interfaces.hpp"
#include "rtc/turn_stream.hpp"
#include "tls/client_context.hpp"
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

struct Outcome {
  std::optional<net::SocketAddress> relayed;
  std::string failure;
};

turn::Client::Config client_config(const Config& c, Duration timeout, bool stream) {
  turn::Client::Config config;
  config.username = c.turn_username;
  config.password = c.turn_password;
  config.request_timeout = timeout;
  config.stream = stream;
  return config;
}

Outcome allocate_udp(const Config& c, const net::SocketAddress& server, Duration timeout) {
  Allocation a;
  a.server_len = server.to_sockaddr(a.server);
  CheckSocket socket(a.server.ss_family);
  if (socket.fd() < 0) return {std::nullopt, "no UDP socket"};
  a.fd = socket.fd();
  turn::Client client(a, client_config(c, timeout, false));
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
  if (a.relayed) client.close(); // releases the allocation at once
  return {a.relayed, a.failure};
}

// TCP or TLS: the connection a call's relay would use (rtc::TurnStream), on a loop of its own.
struct StreamAllocation : turn::Client::Listener, rtc::TurnStream::Listener {
  rtc::TurnStream* stream = nullptr;
  turn::Client* client = nullptr;
  Outcome outcome;
  void on_turn_send(Bytes m) override {
    if (stream != nullptr) stream->send(m);
  }
  void on_turn_allocated(const net::SocketAddress& r, const net::SocketAddress&) override {
    outcome.relayed = r;
  }
  void on_turn_failed(const std::string& cause) override {
    if (!outcome.failure.empty()) return;
    outcome.failure = stream != nullptr && !stream->ready() ? stream->stall_cause() : cause;
  }
  void on_turn_data(const net::SocketAddress&, MutableBytes, TimePoint) override {}
  void on_turn_stream_message(MutableBytes m, std::size_t, TimePoint now) override {
    if (client != nullptr) client->handle_message(m, now);
  }
  void on_turn_stream_closed(const std::string& cause) override {
    if (outcome.failure.empty()) outcome.failure = cause;
  }
};

Outcome allocate_stream(const Config& c, const turn::ServerUrl& url,
                        const net::SocketAddress& server, Duration timeout) {
  std::shared_ptr<const tls::ClientContext> context;
  if (url.transport == turn::ServerTransport::tls) {
    try {
      context = std::make_shared<const tls::ClientContext>(c.turn_tls_ca_file);
    } catch (const std::exception& e) {
      return {std::nullopt, std::string("TURN_TLS_CA_FILE: ") + e.what()};
    }
  }
  net::EventLoop loop;
  StreamAllocation a;
  turn::Client client(a, client_config(c, timeout, true));
  std::unique_ptr<rtc::TurnStream> stream;
  try {
    stream = std::make_unique<rtc::TurnStream>(loop, a, server, context, url.host, 4096);
  } catch (const std::exception& e) {
    return {std::nullopt, e.what()};
  }
  a.stream = stream.get();
  a.client = &client;
  client.start(loop.now());
  // The connect and the TLS handshake count against the same limit as the answers.
  const TimePoint deadline = loop.now() + timeout + seconds(5);
  while (!a.outcome.relayed && a.outcome.failure.empty()) {
    const TimePoint now = loop.now();
    if (now >= deadline) {
      a.outcome.failure = "no answer from the TURN server (timed out)";
      break;
    }
    if (auto t = client.next_timeout(); t && *t <= now) client.handle_timeout(now);
    if (!a.outcome.failure.empty()) break;
    Duration wait = deadline - now;
    if (auto t = client.next_timeout()) wait = std::min(wait, std::max(*t - now, Duration{}));
    loop.run_once(std::min<Duration>(wait, milliseconds(100)));
  }
  if (a.outcome.relayed) client.close();
  stream->close();
  return a.outcome;
}

void check_one(const Config& c, const std::string& text, Duration timeout,
               std::vector<Finding>& out) {
  std::string error;
  const auto url = turn::ServerUrl::parse(text, error);
  if (!url) {
    out.push_back({Finding::Level::error, "TURN_URLS", text + ": " + error,
                   "use turn:host:port, turn:host:port?transport=tcp or turns:host:port"});
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
  const Outcome result = url->transport == turn::ServerTransport::udp
                             ? allocate_udp(c, server, timeout)
                             : allocate_stream(c, *url, server, timeout);
  if (result.relayed) {
    out.push_back({Finding::Level::ok,
                   "TURN_URLS",
                   url->to_string() + " allocates a relay (" + result.relayed->to_string() + ")",
                   {}});
    return;
  }
  std::string hint;
  if (result.failure.find("certificate verify failed") != std::string::npos) {
    // The server answered the handshake: only its certificate is in question.
    hint = "the server's certificate must name " + url->host +
           " and chain to TURN_TLS_CA_FILE (unset: the system trust store)";
  } else {
    hint = "check TURN_USERNAME/TURN_PASSWORD and that outbound " +
           std::string(url->transport == turn::ServerTransport::udp ? "UDP" : "TCP") +
           " to the server is allowed";
  }
  out.push_back(
      {Finding::Level::error, "TURN_URLS", url->to_string() + ": " + result.failure, hint});
}

} // namespace

void check_turn(const Config& c, Duration timeout, std::vector<Finding>& out) {
  if (c.turn_username.empty() || c.turn_password.empty()) return; // a configuration finding
  for (const auto& url : c.turn_urls)
    check_one(c, url, timeout, out);
}

} // namespace wab::app
