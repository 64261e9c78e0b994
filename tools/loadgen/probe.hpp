#pragma once
// The payload of every generated packet: a marker, the sending stream, a sequence number and the
// send time, then filler up to an Opus-sized 80 bytes. The bridge forwards payloads untouched, so
// the receiver reads these back to count loss and one-way latency per direction.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "common/clock.hpp"

namespace wab::loadgen {

constexpr std::size_t kProbePayload = 80;          // ≈ 32 kbit/s Opus at 20 ms
constexpr std::uint32_t kProbeMarker = 0x57414230; // "WAB0"

struct Probe {
  std::uint32_t stream = 0; // call index * 2 + direction
  std::uint32_t sequence = 0;
  std::int64_t sent_ns = 0; // steady clock
};

inline void write_probe(std::uint8_t* payload, const Probe& p) {
  store_be32(payload, kProbeMarker);
  store_be32(payload + 4, p.stream);
  store_be32(payload + 8, p.sequence);
  store_be64(payload + 12, static_cast<std::uint64_t>(p.sent_ns));
  for (std::size_t i = 20; i < kProbePayload; ++i)
    payload[i] = static_cast<std::uint8_t>(i);
}

inline std::optional<Probe> read_probe(Bytes payload) {
  if (payload.size() < 20 || load_be32(payload.data()) != kProbeMarker) return std::nullopt;
  return Probe{load_be32(payload.data() + 4), load_be32(payload.data() + 8),
               static_cast<std::int64_t>(load_be64(payload.data() + 12))};
}

inline std::int64_t to_ns(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

} // namespace wab::loadgen
