// STUN as ICE uses it per connectivity check and consent refresh: build a Binding request with
// USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY and FINGERPRINT; parse one and verify
// both integrity and fingerprint.
#include <benchmark/benchmark.h>

#include <array>

#include "stun/builder.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace wab::bench {
namespace {

constexpr stun::TransactionId kTid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

std::size_t build_request(MutableBytes out, const stun::IntegrityKey& key) {
  stun::MessageBuilder b(out, stun::Method::binding, stun::MessageClass::request, kTid);
  b.add_string(stun::attr::username, "remoteufrag:localufrag");
  b.add_u32(stun::attr::priority, 0x6e7f1eff);
  b.add_u64(stun::attr::ice_controlling, 0x1122334455667788ull);
  b.add_message_integrity(key);
  b.add_fingerprint();
  return b.size();
}

void BM_StunBuildWithIntegrity(benchmark::State& state) {
  const auto key = stun::IntegrityKey::short_term("abcdefghijklmnopqrstuv");
  std::array<std::uint8_t, 256> buf{};
  for (auto _ : state) {
    benchmark::DoNotOptimize(build_request(MutableBytes(buf), key));
  }
}
BENCHMARK(BM_StunBuildWithIntegrity);

void BM_StunParseAndVerify(benchmark::State& state) {
  const auto key = stun::IntegrityKey::short_term("abcdefghijklmnopqrstuv");
  std::array<std::uint8_t, 256> buf{};
  const std::size_t len = build_request(MutableBytes(buf), key);
  for (auto _ : state) {
    auto msg = stun::Message::parse(Bytes(buf.data(), len));
    const bool ok =
        msg && msg->check_fingerprint() && msg->check_integrity(key) && msg->username().has_value();
    if (!ok) state.SkipWithError("parse or verify failed");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_StunParseAndVerify);

} // namespace
} // namespace wab::bench
