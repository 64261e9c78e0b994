// The network half of `wabridge check`: can the ports be bound, do the Graph API and OpenAI
// answer (and take the credentials), does the STUN server answer. Each with a short timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "agent/realtime_api.hpp"
#include "agent/session_config.hpp"
#include "app/agent_profiles.hpp"
#include "app/check.hpp"
#include "cluster/redis_probe.hpp"
#include "common/random.hpp"
#include "http/client.hpp"
#include "net/event_loop.hpp"
#include "net/interfaces.hpp"
#include "stun/builder.hpp"
#include "stun/message.hpp"

namespace wab::app {
namespace {

using Level = Finding::Level;

// Binds (and closes) one socket; 0 or the errno.
int try_bind(int type, const net::SocketAddress& address) {
  sockaddr_storage ss{};
  const socklen_t len = address.to_sockaddr(ss);
  const int fd = ::socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int one = 1;
  if (type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len);
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

void check_http_port(const Config& c, std::vector<Finding>& out) {
  const std::string where = c.http_host + ":" + std::to_string(c.port);
  auto address = net::SocketAddress::parse(c.http_host, c.port);
  if (!address) {
    out.push_back({Level::error, "HTTP_HOST", "'" + c.http_host + "' is not an IP address",
                   "use 0.0.0.0 (all interfaces) or 127.0.0.1 behind a local reverse proxy"});
    return;
  }
  const int err = try_bind(SOCK_STREAM, *address);
  if (err == 0) {
    out.push_back({Level::ok, "PORT", where + " can be bound", {}});
  } else if (err == EADDRINUSE) {
    out.push_back({Level::error, "PORT", where + " is in use (another wabridge or service?)",
                   "stop what listens there (`ss -ltnp 'sport = :" + std::to_string(c.port) +
                       "'`) or choose another PORT and point the reverse proxy at it"});
  } else if (err == EACCES) {
    out.push_back({Level::error, "PORT", where + ": permission denied",
                   "ports below 1024 need CAP_NET_BIND_SERVICE; use a high port behind the "
                   "TLS reverse proxy"});
  } else {
    out.push_back({Level::error, "PORT", where + ": " + std::strerror(err),
                   "check HTTP_HOST is an address of this host"});
  }
}

void check_udp_range(const Config& c, std::vector<Finding>& out) {
  const std::string setting = "MEDIA_PORT_MIN/MEDIA_PORT_MAX";
  const std::string range =
      std::to_string(c.media_port_min) + "-" + std::to_string(c.media_port_max);
  std::size_t free = 0;
  int last_error = 0;
  for (std::uint32_t port = c.media_port_min; port <= c.media_port_max; ++port) {
    const int err = try_bind(
        SOCK_DGRAM, *net::SocketAddress::parse("0.0.0.0", static_cast<std::uint16_t>(port)));
    if (err == 0) {
      ++free;
    } else {
      last_error = err;
    }
  }
  const std::size_t size = c.media_port_max - c.media_port_min + 1;
  if (free < 2) {
    out.push_back({Level::error, setting,
                   "UDP " + range + ": " + std::to_string(free) + " of " + std::to_string(size) +
                       " ports can be bound (" + std::strerror(last_error) + "); a call needs two",
                   "choose a range no other service uses (`ss -lunp`), e.g. 40000-49999"});
  } else if (free < size) {
    out.push_back({Level::warning, setting,
                   "UDP " + range + ": " + std::to_string(size - free) +
                       " ports are taken; room for " + std::to_string(free / 2) + " calls",
                   "widen the range or free the ports other programs hold"});
  } else {
    out.push_back({Level::ok,
                   setting,
                   "UDP " + range + " can be bound: room for " + std::to_string(free / 2) +
                       " concurrent calls; the firewall must let this range in",
                   {}});
  }
}

// One request with a loop of its own; the response (status 0 + error on transport failures).
http::Response send(http::Request request, Duration timeout) {
  net::EventLoop loop;
  http::Client client(loop);
  std::optional<http::Response> result;
  request.timeout = timeout;
  request.max_response_bytes = 1 << 20;
  client.send(std::move(request), [&](http::Response r) { result = std::move(r); });
  const TimePoint deadline = Clock::now() + timeout + seconds(1);
  while (!result && Clock::now() < deadline)
    loop.run_once(milliseconds(50));
  if (!result) {
    http::Response r;
    r.error = "no answer";
    return r;
  }
  return *result;
}

http::Response get(const std::string& url, http::Headers headers, Duration timeout) {
  http::Request request;
  request.url = url;
  request.headers = std::move(headers);
  return send(std::move(request), timeout);
}

// Graph's error code of an error body, 0 without one.
std::int64_t graph_code(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return 0;
  const auto& code = j["error"]["code"];
  return code.is_number_integer() ? code.get<std::int64_t>() : 0;
}

void check_graph(const Config& c, Duration timeout, std::vector<Finding>& out) {
  const std::string setting = "WHATSAPP_GRAPH_URL";
  const bool have_token = c.whatsapp_access_token != kMissingCredential;
  // GET /me answers for any valid token; an invalid or expired one is OAuthException code 190.
  const auto r = get(c.whatsapp_graph_url + "/me",
                     {{"Authorization", "Bearer " + c.whatsapp_access_token}}, timeout);
  if (r.status == 0) {
    out.push_back({Level::error, setting, c.whatsapp_graph_url + " is unreachable: " + r.error,
                   "check DNS, the outbound firewall (TCP 443) and any proxy; the default is "
                   "https://graph.facebook.com/v24.0"});
  } else if (have_token && (r.status == 401 || graph_code(r.body) == 190)) {
    out.push_back({Level::error, "WHATSAPP_ACCESS_TOKEN",
                   "the Graph API refuses the token (HTTP " + std::to_string(r.status) +
                       "; invalid or expired)",
                   "create a new System User token with whatsapp_business_messaging; user tokens "
                   "expire within hours"});
  } else {
    out.push_back({Level::ok,
                   setting,
                   c.whatsapp_graph_url + " answers (HTTP " + std::to_string(r.status) +
                       (have_token && r.ok() ? "; the token is accepted)" : ")"),
                   {}});
  }
}

void check_openai(const std::string& setting, const std::string& key_setting,
                  const std::string& base, http::Headers auth, Duration timeout,
                  std::vector<Finding>& out) {
  const auto r = get(base + "/models", std::move(auth), timeout);
  if (r.status == 0) {
    out.push_back({Level::error, setting, base + " is unreachable: " + r.error,
                   "check DNS, the outbound firewall (TCP 443) and any proxy"});
  } else if (r.status == 401 || r.status == 403) {
    out.push_back({Level::error, key_setting,
                   base + " refuses the key (HTTP " + std::to_string(r.status) + ")",
                   "create a new key (revoked or from another project/organization?)"});
  } else {
    out.push_back({Level::ok,
                   setting,
                   base + " answers (HTTP " + std::to_string(r.status) +
                       (r.ok() ? "; the key is accepted)" : ")"),
                   {}});
  }
}

// OPENAI_AUTH=ephemeral: every call first mints a client secret for the default agent's session;
// minting one now (it expires unused) also validates the model, voice and tools OpenAI is sent.
void check_ephemeral(const Config& c, Duration timeout, std::vector<Finding>& out) {
  AnnouncementStore store;
  nlohmann::json session;
  try {
    session = agent::build_session(build_agent_profiles(c, store).default_profile.session);
  } catch (const std::exception&) {
    return; // the profile finding says why
  }
  agent::RealtimeConfig rc;
  rc.base_url = c.openai_base_url;
  rc.api_key = c.openai_api_key;
  rc.auth = agent::AuthMode::ephemeral;
  rc.ephemeral_ttl_seconds = 10;
  const auto response = send(agent::build_client_secret_request(rc, session), timeout);
  std::string why;
  if (agent::parse_client_secret(response, agent::secrets_of(rc), why)) {
    out.push_back({Level::ok, "OPENAI_AUTH", "ephemeral: a client secret was minted", {}});
  } else if (response.status != 0) { // unreachable is reported by the base URL's check
    out.push_back({Level::error, "OPENAI_AUTH", "ephemeral: minting a client secret failed: " + why,
                   "check OPENAI_MODEL, OPENAI_VOICE and the profile's tools against the error; "
                   "OPENAI_AUTH=apikey skips the client secret"});
  }
}

void check_stun(const Config& c, Duration timeout, std::vector<Finding>& out) {
  if (c.stun_server.empty()) return;
  net::SocketAddress server;
  try {
    server = net::resolve_host_port(c.stun_server);
  } catch (const std::exception& e) {
    out.push_back({Level::error, "STUN_SERVER", e.what(),
                   "use host:port, e.g. "
                   "stun.l.google.com:19302"});
    return;
  }
  sockaddr_storage ss{};
  const socklen_t len = server.to_sockaddr(ss);
  const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  stun::TransactionId id{};
  random_bytes(id);
  std::uint8_t buf[64];
  stun::MessageBuilder builder(MutableBytes(buf, sizeof buf), stun::Method::binding,
                               stun::MessageClass::request, id);
  builder.add_fingerprint();
  ::sendto(fd, builder.bytes().data(), builder.bytes().size(), 0,
           reinterpret_cast<const sockaddr*>(&ss), len);
  std::optional<net::SocketAddress> mapped;
  const TimePoint deadline = Clock::now() + timeout;
  while (!mapped && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(left, 1))) <= 0) break;
    std::uint8_t in[1500];
    const ssize_t n = ::recv(fd, in, sizeof in, 0);
    if (n <= 0) continue;
    auto message = stun::Message::parse(Bytes(in, static_cast<std::size_t>(n)));
    if (message && message->is_binding(stun::MessageClass::success_response)) {
      mapped = message->xor_mapped_address();
    }
  }
  ::close(fd);
  if (!mapped) {
    out.push_back({Level::error, "STUN_SERVER", c.stun_server + " did not answer a binding request",
                   "allow outbound UDP to it, or unset STUN_SERVER and set MEDIA_PUBLIC_IP"});
  } else if (!c.media_public_ip.empty() && mapped->ip_string() != c.media_public_ip) {
    out.push_back({Level::warning, "STUN_SERVER",
                   "it sees this host as " + mapped->ip_string() + ", not MEDIA_PUBLIC_IP " +
                       c.media_public_ip,
                   "set MEDIA_PUBLIC_IP to the address the internet sees"});
  } else {
    out.push_back(
        {Level::ok, "STUN_SERVER", "answers; it sees this host as " + mapped->ip_string(), {}});
  }
}

void check_redis(const Config& c, Duration timeout, std::vector<Finding>& out) {
  if (c.redis_url.empty()) return;
  const auto url = cluster::parse_redis_url(c.redis_url); // load_config checked it
  const std::string problem = cluster::probe_redis(url, timeout);
  if (problem.empty()) {
    out.push_back({Level::ok,
                   "REDIS_URL",
                   url.describe() + " answers (cluster mode, node " + c.node_id + ")",
                   {}});
  } else {
    out.push_back({Level::error, "REDIS_URL", url.describe() + ": " + problem,
                   "start Redis or fix REDIS_URL; until it answers, the server refuses new calls "
                   "(unset REDIS_URL for a single node)"});
  }
}

} // namespace

std::vector<Finding> check_network(const Config& c, Duration timeout) {
  std::vector<Finding> out;
  check_http_port(c, out);
  check_udp_range(c, out);
  check_graph(c, timeout, out);
  if (!c.openai_api_key.empty()) {
    check_openai("OPENAI_BASE_URL", "OPENAI_API_KEY", c.openai_base_url,
                 {{"Authorization", "Bearer " + c.openai_api_key}}, timeout, out);
    if (c.openai_auth == "ephemeral") check_ephemeral(c, timeout, out);
  }
  if (!c.azure_openai_api_key.empty()) {
    check_openai("AZURE_OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY", c.azure_openai_base_url,
                 {{"api-key", c.azure_openai_api_key}}, timeout, out);
  }
  check_stun(c, timeout, out);
  check_redis(c, timeout, out);
  check_turn(c, timeout, out);
  return out;
}

} // namespace wab::app
