#include "rtp/telephone_event.hpp"

namespace wab::rtp {

std::optional<TelephoneEvent> parse_telephone_event(Bytes payload) {
  if (payload.size() < kTelephoneEventSize) return std::nullopt;
  TelephoneEvent e;
  e.event = payload[0];
  e.end = (payload[1] & 0x80) != 0;
  // Bit 0x40 is reserved: senders set it to zero, receivers ignore it.
  e.volume = payload[1] & 0x3f;
  e.duration = load_be16(payload.data() + 2);
  return e;
}

char digit_char(std::uint8_t event) {
  static constexpr char kDigits[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                       '8', '9', '*', '#', 'A', 'B', 'C', 'D'};
  return event < 16 ? kDigits[event] : '\0';
}

} // namespace wab::rtp
