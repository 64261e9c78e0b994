// The whole forward path of one packet as src/bridge runs it: the caller leg's SRTP unprotect in
// the receive slot, the RTP header rewrite for the agent leg, the agent leg's SRTP protect in the
// same slot (PeerTransport::on_media → Call::forward_to_agent → PeerTransport::send_rtp).
//
// BM_ForwardCrypto is that work alone. BM_ForwardLoopback adds the syscalls over real loopback UDP
// with the project's sockets (recvmmsg batches in, one sendmsg per packet out); its far ends'
// share (sending the input, draining the output) is BM_LoopbackFarEnds, to subtract.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_packets.hpp"
#include "net/event_loop.hpp"
#include "net/udp_socket.hpp"
#include "rtp/rtp_rewriter.hpp"

namespace wab::bench {
namespace {

dtls::SrtpProfile forward_profile_arg(const benchmark::State& state) {
  return state.range(0) == 0 ? dtls::SrtpProfile::kAes128CmSha1_80
                             : dtls::SrtpProfile::kAeadAes128Gcm;
}

// Packets the caller's phone sends, protected in advance (a replay-protected receiver needs each
// sequence number once, so the ring is refilled with later numbers when it runs out).
class FarEndRing {
public:
  FarEndRing(const dtls::SrtpKeyingMaterial& keys, std::size_t size)
      : session_(keys), ring_(size), lens_(size) {
    refill();
  }
  void refill() {
    for (std::size_t i = 0; i < ring_.size(); ++i) {
      write_rtp(ring_[i].data(), seq_++, 0x1234);
      lens_[i] = kRtpLen;
      session_.protect_rtp(ring_[i].data(), lens_[i], ring_[i].size());
    }
    next_ = 0;
  }
  bool exhausted() const { return next_ == ring_.size(); }
  Bytes next() {
    const std::size_t i = next_++;
    return Bytes(ring_[i].data(), lens_[i]);
  }

private:
  srtp::SrtpSession session_;
  std::vector<PacketBuffer> ring_;
  std::vector<std::size_t> lens_;
  std::uint16_t seq_ = 0;
  std::size_t next_ = 0;
};

// The bridge's per-packet work on one received datagram, in place.
struct ForwardPath {
  srtp::SrtpSession caller_leg;
  srtp::SrtpSession agent_leg;
  rtp::RtpRewriter to_agent{0xC0FFEE};

  ForwardPath(const dtls::SrtpKeyingMaterial& caller, const dtls::SrtpKeyingMaterial& agent)
      : caller_leg(caller), agent_leg(agent) {
    to_agent.map_payload_type(111, 111);
  }
  // Returns the protected length, 0 when the packet was refused.
  std::size_t forward(MutableBytes slot, std::size_t len) {
    if (!caller_leg.unprotect_rtp(slot.data(), len)) return 0;
    if (!to_agent.rewrite(slot, len)) return 0;
    if (!agent_leg.protect_rtp(slot.data(), len, slot.size())) return 0;
    return len;
  }
};

void BM_ForwardCrypto(benchmark::State& state) {
  const auto caller = make_leg_keys(forward_profile_arg(state), 1);
  const auto agent = make_leg_keys(forward_profile_arg(state), 2);
  FarEndRing phone(caller.far, 4096);
  ForwardPath path(caller.us, agent.us);
  std::vector<std::uint8_t> slot(net::ReceiveBatch::kDefaultDatagramCapacity);
  for (auto _ : state) {
    if (phone.exhausted()) {
      state.PauseTiming();
      phone.refill();
      state.ResumeTiming();
    }
    const Bytes in = phone.next();
    std::memcpy(slot.data(), in.data(), in.size());
    const std::size_t out = path.forward(MutableBytes(slot), in.size());
    if (out == 0) state.SkipWithError("forward failed");
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(std::string(dtls::srtp_profile_name(forward_profile_arg(state))));
}
BENCHMARK(BM_ForwardCrypto)->Arg(0)->Arg(1);

constexpr std::size_t kBurst = 32; // datagrams per iteration (one recvmmsg batch)

net::UdpSocketOptions loopback_options() {
  net::UdpSocketOptions o;
  o.bind_address = net::SocketAddress::parse("127.0.0.1", 0);
  return o;
}

net::SocketAddress address_of(const net::UdpSocket& s) {
  return *net::SocketAddress::parse("127.0.0.1", s.local_port());
}

void BM_ForwardLoopback(benchmark::State& state) {
  const auto caller = make_leg_keys(forward_profile_arg(state), 1);
  const auto agent = make_leg_keys(forward_profile_arg(state), 2);
  FarEndRing phone_ring(caller.far, 4096);
  ForwardPath path(caller.us, agent.us);
  net::EventLoop loop; // the sockets register with it; the benchmark drives them directly
  net::ReceiveBatch batch;
  std::size_t delivered = 0;
  net::UdpSocket agent_side(
      loop, batch, loopback_options(),
      [&](MutableBytes, const net::SocketAddress&, TimePoint) { ++delivered; });
  const net::SocketAddress to_agent = address_of(agent_side);
  std::unique_ptr<net::UdpSocket> bridge_socket;
  bridge_socket = std::make_unique<net::UdpSocket>(
      loop, batch, loopback_options(),
      [&](MutableBytes data, const net::SocketAddress&, TimePoint) {
        const std::size_t n = path.forward(
            MutableBytes(data.data(), net::ReceiveBatch::kDefaultDatagramCapacity), data.size());
        if (n != 0) bridge_socket->send_to(Bytes(data.data(), n), to_agent);
      });
  const net::SocketAddress to_bridge = address_of(*bridge_socket);
  net::ReceiveBatch phone_batch;
  net::UdpSocket phone(loop, phone_batch, loopback_options(),
                       [](MutableBytes, const net::SocketAddress&, TimePoint) {});
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBurst; ++i) {
      if (phone_ring.exhausted()) {
        state.PauseTiming();
        phone_ring.refill();
        state.ResumeTiming();
      }
      phone.send_to(phone_ring.next(), to_bridge);
    }
    bridge_socket->on_readable();
    agent_side.on_readable();
  }
  if (delivered != state.iterations() * kBurst) state.SkipWithError("datagrams lost on loopback");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBurst));
  state.SetLabel(std::string(dtls::srtp_profile_name(forward_profile_arg(state))) +
                 ", per item = packet");
}
BENCHMARK(BM_ForwardLoopback)->Arg(0)->Arg(1);

// The far ends' share of BM_ForwardLoopback: sending the input and draining the output.
void BM_LoopbackFarEnds(benchmark::State& state) {
  net::EventLoop loop;
  net::ReceiveBatch batch;
  std::size_t delivered = 0;
  net::UdpSocket sink(loop, batch, loopback_options(),
                      [&](MutableBytes, const net::SocketAddress&, TimePoint) { ++delivered; });
  net::UdpSocket source(loop, batch, loopback_options(),
                        [](MutableBytes, const net::SocketAddress&, TimePoint) {});
  const net::SocketAddress to = address_of(sink);
  PacketBuffer buf;
  write_rtp(buf.data(), 1, 0x1234);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBurst; ++i)
      source.send_to(Bytes(buf.data(), kRtpLen + 10), to);
    sink.on_readable();
  }
  if (delivered != state.iterations() * kBurst) state.SkipWithError("datagrams lost on loopback");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBurst));
  state.SetLabel("per item = packet");
}
BENCHMARK(BM_LoopbackFarEnds);

} // namespace
} // namespace wab::bench
