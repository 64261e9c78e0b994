#pragma once
// RFC 4733 §2.3 telephone-event payloads (DTMF named events 0–15). Parses in place; any thread.
#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "rtp/rtp_packet.hpp"

namespace wab::rtp {

inline constexpr std::size_t kTelephoneEventSize = 4;

struct TelephoneEvent {
  std::uint8_t event = 0;  // 0–9 digits, 10 '*', 11 '#', 12–15 'A'–'D'; others are non-DTMF
  bool end = false;        // E bit: the last packet(s) of this event
  std::uint8_t volume = 0; // 0–63, in -dBm0 (so larger is quieter)
  std::uint16_t duration = 0; // in RTP timestamp units since the event's start timestamp
};

// Reads the first event block of a payload; nullopt if shorter than 4 bytes.
std::optional<TelephoneEvent> parse_telephone_event(Bytes payload);

// '0'–'9', '*', '#', 'A'–'D' for events 0–15; '\0' for anything else.
char digit_char(std::uint8_t event);

// True when `packet` carries the telephone-event payload type negotiated for this leg (SDP
// `telephone-event/8000` rtpmap). Such packets must not be relabelled as audio.
inline bool is_telephone_event(const RtpView& packet, std::uint8_t negotiated_payload_type) {
  return packet.header().payload_type == negotiated_payload_type;
}

} // namespace wab::rtp
