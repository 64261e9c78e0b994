// SRTP protect and unprotect of one Opus-sized packet, per profile, with contexts kept alive as
// PeerTransport keeps them. Unprotect needs fresh packets (replay protection), so a ring of
// packets protected in advance is cycled; the window holds as the sequence number keeps growing.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "bench_packets.hpp"

namespace wab::bench {
namespace {

dtls::SrtpProfile profile_arg(const benchmark::State& state) {
  return state.range(0) == 0 ? dtls::SrtpProfile::kAes128CmSha1_80
                             : dtls::SrtpProfile::kAeadAes128Gcm;
}

void set_label(benchmark::State& state) {
  state.SetLabel(std::string(dtls::srtp_profile_name(profile_arg(state))));
}

void BM_SrtpProtect(benchmark::State& state) {
  const auto keys = make_leg_keys(profile_arg(state), 1);
  srtp::SrtpSession session(keys.us);
  PacketBuffer buf;
  std::uint16_t seq = 0;
  for (auto _ : state) {
    write_rtp(buf.data(), seq++, 0x1234);
    std::size_t len = kRtpLen;
    if (!session.protect_rtp(buf.data(), len, buf.size())) state.SkipWithError("protect failed");
    benchmark::DoNotOptimize(len);
  }
  set_label(state);
}
BENCHMARK(BM_SrtpProtect)->Arg(0)->Arg(1);

// Rewriting the header (write_rtp) is inside the timed loop of BM_SrtpProtect; this is its cost
// alone, to subtract.
void BM_SrtpProtectInputOnly(benchmark::State& state) {
  PacketBuffer buf;
  std::uint16_t seq = 0;
  for (auto _ : state) {
    write_rtp(buf.data(), seq++, 0x1234);
    benchmark::DoNotOptimize(buf.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_SrtpProtectInputOnly);

void BM_SrtpUnprotect(benchmark::State& state) {
  const auto keys = make_leg_keys(profile_arg(state), 1);
  srtp::SrtpSession far(keys.far);
  srtp::SrtpSession us(keys.us);
  constexpr std::size_t kRing = 4096;
  std::vector<PacketBuffer> ring(kRing);
  std::vector<std::size_t> lens(kRing);
  std::uint16_t seq = 0;
  auto refill = [&] {
    for (std::size_t i = 0; i < kRing; ++i) {
      write_rtp(ring[i].data(), seq++, 0x1234);
      lens[i] = kRtpLen;
      far.protect_rtp(ring[i].data(), lens[i], ring[i].size());
    }
  };
  refill();
  PacketBuffer work;
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == kRing) {
      state.PauseTiming();
      refill();
      i = 0;
      state.ResumeTiming();
    }
    std::memcpy(work.data(), ring[i].data(), lens[i]);
    std::size_t len = lens[i++];
    if (!us.unprotect_rtp(work.data(), len)) state.SkipWithError("unprotect failed");
    benchmark::DoNotOptimize(len);
  }
  set_label(state);
}
BENCHMARK(BM_SrtpUnprotect)->Arg(0)->Arg(1);

} // namespace
} // namespace wab::bench

namespace wab::bench {
namespace {

// The same protect and unprotect with one SRTP session pair per call, used round-robin as a
// bridge carrying that many calls does. With Debian's NSS-backed libsrtp the cost per packet grew
// with the number of live sessions (a key-object lookup per operation); our OpenSSL transform
// keeps a keyed context per session, so only cache effects should remain.
void BM_SrtpManySessions(benchmark::State& state) {
  const auto profile =
      state.range(0) == 0 ? dtls::SrtpProfile::kAes128CmSha1_80 : dtls::SrtpProfile::kAeadAes128Gcm;
  const auto sessions = static_cast<std::size_t>(state.range(1));
  constexpr std::size_t kPerSession = 32;
  std::vector<std::unique_ptr<srtp::SrtpSession>> far, us;
  for (std::size_t i = 0; i < sessions; ++i) {
    const auto keys = make_leg_keys(profile, static_cast<std::uint8_t>(i));
    far.push_back(std::make_unique<srtp::SrtpSession>(keys.far));
    us.push_back(std::make_unique<srtp::SrtpSession>(keys.us));
  }
  std::vector<PacketBuffer> ring(sessions * kPerSession);
  std::vector<std::size_t> lens(ring.size());
  std::uint16_t seq = 0;
  auto refill = [&] {
    for (std::size_t k = 0; k < kPerSession; ++k, ++seq) {
      for (std::size_t s = 0; s < sessions; ++s) {
        const std::size_t i = k * sessions + s;
        write_rtp(ring[i].data(), seq, 0x1234);
        lens[i] = kRtpLen;
        far[s]->protect_rtp(ring[i].data(), lens[i], ring[i].size());
      }
    }
  };
  refill();
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == ring.size()) {
      state.PauseTiming();
      refill();
      i = 0;
      state.ResumeTiming();
    }
    // The forward path's crypto: unprotect with the receiving leg, protect again (here with the
    // same session's outbound context: the cost is the same).
    const std::size_t s = i % sessions;
    std::size_t len = lens[i];
    if (!us[s]->unprotect_rtp(ring[i].data(), len) ||
        !us[s]->protect_rtp(ring[i].data(), len, ring[i].size()))
      state.SkipWithError("srtp failed");
    ++i;
  }
  state.SetLabel(std::string(dtls::srtp_profile_name(profile)) + ", unprotect+protect");
}
BENCHMARK(BM_SrtpManySessions)
    ->ArgsProduct({{0, 1}, {1, 100, 1000, 4000}})
    ->ArgNames({"profile", "sessions"});

} // namespace
} // namespace wab::bench
