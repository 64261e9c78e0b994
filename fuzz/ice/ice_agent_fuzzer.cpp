// Feeds an ICE Agent arbitrary datagrams and timer ticks. Each record of the input is
//   [flags][from][advance ms][len][bytes...]
// flags bit 0: sign the bytes as a valid STUN message (our pwd for requests, the peer's for
// responses) so the fuzzer gets past integrity; bit 1: reuse the agent's last transaction id;
// bit 2: run handle_timeout first; bit 3: set the remote credentials again. The agent must never
// crash, and its timer must always move.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "ice/agent.hpp"
#include "stun/integrity.hpp"

using namespace wab;

namespace {

constexpr char kLocalPwd[] = "localpasswordlocalpassw";
constexpr char kRemotePwd[] = "remotepasswordremotepas";

struct Recorder : ice::Agent::Listener {
  std::optional<stun::TransactionId> last_tid;
  void on_ice_send(ice::PathId, const net::SocketAddress&, Bytes d) override {
    if (d.size() >= 20) {
      stun::TransactionId id;
      std::memcpy(id.data(), d.data() + 8, id.size());
      last_tid = id;
    }
  }
  void on_ice_state(ice::Agent::State) override {}
};

net::SocketAddress pick_from(std::uint8_t b) {
  static const net::SocketAddress kFrom[] = {*net::SocketAddress::parse("192.0.2.50", 3478),
                                             *net::SocketAddress::parse("192.0.2.51", 3478),
                                             *net::SocketAddress::parse("2001:db8::50", 3478),
                                             *net::SocketAddress::parse("198.51.100.9", 3478)};
  return kFrom[b % 4];
}

// Wraps `body` (attributes, padded) into a STUN message with a valid MESSAGE-INTEGRITY and
// FINGERPRINT. The first two body bytes choose the message class.
std::size_t sign(const std::uint8_t* body, std::size_t n,
                 const std::optional<stun::TransactionId>& tid, std::uint8_t* out,
                 std::size_t cap) {
  if (n < 2) return 0;
  const auto cls = static_cast<stun::MessageClass>(body[0] & 3);
  body += 2;
  n -= 2;
  const std::size_t padded = (n + 3) & ~std::size_t{3};
  if (20 + padded + 24 + 8 > cap) return 0;
  store_be16(out, stun::encode_message_type(stun::Method::binding, cls));
  store_be32(out + 4, stun::kMagicCookie);
  if (tid) std::memcpy(out + 8, tid->data(), 12);
  std::memset(out + 20, 0, padded);
  std::memcpy(out + 20, body, n);
  std::size_t len = 20 + padded;
  store_be16(out + 2, static_cast<std::uint16_t>(len - 20 + 24));
  static const auto local = stun::IntegrityKey::short_term(kLocalPwd);
  static const auto remote = stun::IntegrityKey::short_term(kRemotePwd);
  const Bytes parts[] = {Bytes(out, len)};
  const auto digest = (cls == stun::MessageClass::request ? local : remote).compute(parts);
  store_be16(out + len, stun::attr::message_integrity);
  store_be16(out + len + 2, 20);
  std::memcpy(out + len + 4, digest.data(), 20);
  len += 24;
  store_be16(out + 2, static_cast<std::uint16_t>(len - 20 + 8));
  const std::uint32_t crc = stun::crc32(Bytes(out, len)) ^ stun::kFingerprintXor;
  store_be16(out + len, stun::attr::fingerprint);
  store_be16(out + len + 2, 4);
  store_be32(out + len + 4, crc);
  return len + 8;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  Recorder rec;
  ice::Agent::Config cfg;
  cfg.local_ufrag = "locl";
  cfg.local_pwd = kLocalPwd;
  cfg.role = (data[0] & 1) ? ice::Role::controlling : ice::Role::controlled;
  cfg.tie_breaker = 0x8000000000000000ull;
  ice::Agent agent(rec, cfg);
  agent.add_host_candidate(*net::SocketAddress::parse("10.0.0.1", 5000));
  agent.add_host_candidate(*net::SocketAddress::parse("2001:db8::1", 5000));
  agent.set_stun_server(pick_from(3));
  if (data[0] & 2) agent.set_remote_ice_lite(true);
  if (data[0] & 4) agent.set_remote_credentials("remo", kRemotePwd);
  if (auto c = ice::Candidate::parse("candidate:1 1 udp 2130706431 192.0.2.50 3478 typ host")) {
    agent.add_remote_candidate(*c);
  }
  TimePoint now = TimePoint{} + seconds(100);
  agent.start(now);
  if (!(data[0] & 4)) agent.set_remote_credentials("remo", kRemotePwd);

  std::size_t i = 1;
  std::array<std::uint8_t, 1500> buf;
  while (i + 4 <= size) {
    const std::uint8_t flags = data[i];
    const net::SocketAddress from = pick_from(data[i + 1]);
    now += milliseconds(data[i + 2] * 10);
    const std::size_t n = std::min<std::size_t>(data[i + 3], size - i - 4);
    const std::uint8_t* body = data + i + 4;
    i += 4 + n;
    if (flags & 4) {
      const auto before = agent.next_timeout();
      agent.handle_timeout(now);
      const auto after = agent.next_timeout();
      // A due timer must be consumed: otherwise the owner's loop would spin.
      if (before && *before <= now && after && *after <= now && *after == *before) std::abort();
    }
    if (flags & 8) agent.set_remote_credentials("remo", kRemotePwd); // re-applied description
    Bytes datagram(body, n);
    if (flags & 1) {
      const std::size_t len =
          sign(body, n, (flags & 2) ? rec.last_tid : std::nullopt, buf.data(), buf.size());
      if (len == 0) continue;
      datagram = Bytes(buf.data(), len);
    }
    agent.handle_stun(datagram, from, now);
  }
  // Drain timers for a while: they must converge (no spin) whatever state we are in.
  for (int k = 0; k < 200; ++k) {
    auto t = agent.next_timeout();
    if (!t) break;
    now = std::max(now, *t);
    agent.handle_timeout(now);
    auto t2 = agent.next_timeout();
    if (t2 && *t2 <= now && *t2 == *t) std::abort();
  }
  return 0;
}
