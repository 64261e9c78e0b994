// The header rewrite every forwarded packet gets (SSRC, payload type, sequence, timestamp).
#include <benchmark/benchmark.h>

#include "bench_packets.hpp"
#include "rtp/rtp_rewriter.hpp"

namespace wab::bench {
namespace {

void BM_RtpRewrite(benchmark::State& state) {
  rtp::RtpRewriter rewriter(0xC0FFEE);
  rewriter.map_payload_type(111, 111);
  PacketBuffer buf;
  write_rtp(buf.data(), 0, 0x1234);
  std::uint16_t seq = 0;
  for (auto _ : state) {
    // Only the sequence number changes between packets of a stream.
    store_be16(buf.data() + 2, seq);
    store_be32(buf.data() + 4, static_cast<std::uint32_t>(seq) * 960);
    store_be32(buf.data() + 8, 0x1234);
    ++seq;
    std::size_t len = kRtpLen;
    if (!rewriter.rewrite(MutableBytes(buf), len)) state.SkipWithError("rewrite failed");
    benchmark::DoNotOptimize(len);
  }
}
BENCHMARK(BM_RtpRewrite);

} // namespace
} // namespace wab::bench
