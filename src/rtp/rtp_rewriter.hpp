#pragma once
// Per outgoing leg: rewrites forwarded RTP packets in place so the far end sees one continuous
// stream (our SSRC, its payload-type numbers, monotonic sequence numbers and timestamps) whatever
// happens upstream: a source switch, a pause, or packets we insert ourselves (e.g. Opus silence).
// Payload and marker bit are never touched; header extensions are stripped by default because
// extension ids are negotiated per leg.
//
// One object per outgoing stream, owned by the leg; single-threaded; no allocation.
#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"

namespace wab::rtp {

class RtpRewriter {
public:
  // `default_timestamp_step` is the timestamp advance assumed per packet until one is observed
  // (960 = 20 ms of Opus at 48 kHz).
  explicit RtpRewriter(std::uint32_t ssrc, std::uint32_t default_timestamp_step = 960);

  void set_ssrc(std::uint32_t ssrc) { ssrc_ = ssrc; }
  std::uint32_t ssrc() const { return ssrc_; }
  // Source PT `from` is sent as `to`. Unmapped PTs pass through unchanged. Both must be < 128.
  void map_payload_type(std::uint8_t from, std::uint8_t to);
  std::uint8_t mapped_payload_type(std::uint8_t from) const { return pt_map_[from & 0x7f]; }
  void set_strip_extensions(bool strip) { strip_extensions_ = strip; }

  // Rewrites the RTP packet in `packet[0, len)` in place. Stripping an extension shortens the
  // packet: `len` is updated to the new length. Returns false, leaving the bytes and `len`
  // untouched, when they are not a valid RTP packet (or len > packet.size()).
  bool rewrite(MutableBytes packet, std::size_t& len);

  // The next source packet starts a new upstream timeline (different SSRC, restarted sender):
  // it is re-based to follow the last packet we sent, one packet step later.
  void on_source_switch() { rebase_pending_ = true; }
  // Nothing was sent for `timestamp_units` beyond the normal packet step (e.g. silence with no
  // packets); the next source packet is re-based and lands that much later. Accumulates.
  void insert_gap(std::uint32_t timestamp_units);

  struct Stamp {
    std::uint16_t sequence;
    std::uint32_t timestamp;
  };
  // Reserves the numbers for a packet we generate ourselves, lasting `timestamp_step` units;
  // the next source packet is re-based after it.
  Stamp next_inserted(std::uint32_t timestamp_step);
  // Writes a complete RTP packet (our SSRC, `payload_type`, the next inserted Stamp) into `out`.
  // Returns its length, or 0 (nothing reserved) when `out` is too small.
  std::size_t build_inserted(MutableBytes out, std::uint8_t payload_type, bool marker,
                             Bytes payload, std::uint32_t timestamp_step);

  // Highest sequence number / its timestamp sent so far; nullopt before the first packet.
  std::optional<std::uint16_t> last_sequence() const;
  std::optional<std::uint32_t> last_timestamp() const;
  std::uint64_t packets_rewritten() const { return packets_rewritten_; }
  std::uint64_t extensions_stripped() const { return extensions_stripped_; }

private:
  // A re-based packet's timestamp delta includes gaps, so it does not teach the packet step.
  void note_output(std::uint16_t seq, std::uint32_t ts, bool learn_step);

  std::uint32_t ssrc_;
  std::array<std::uint8_t, 128> pt_map_{};
  bool strip_extensions_ = true;

  bool started_ = false;
  bool rebase_pending_ = false;
  std::uint16_t seq_offset_ = 0;
  std::uint32_t ts_offset_ = 0;
  std::uint16_t last_seq_ = 0; // highest output sequence number
  std::uint32_t last_ts_ = 0;  // its timestamp
  std::uint32_t step_;         // timestamp advance per packet, learnt from the stream
  std::uint32_t pending_gap_ = 0;

  std::uint64_t packets_rewritten_ = 0;
  std::uint64_t extensions_stripped_ = 0;
};

} // namespace wab::rtp
