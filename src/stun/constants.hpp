#pragma once
// STUN wire constants (RFC 8489 §5, §18; RFC 8445 §16.1 for the ICE attributes). Header only.
#include <array>
#include <cstddef>
#include <cstdint>

namespace wab::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kTransactionIdSize = 12;
inline constexpr std::size_t kAttributeHeaderSize = 4;
inline constexpr std::size_t kIntegritySize = 20; // HMAC-SHA1
// XOR of the CRC-32 in FINGERPRINT ("STUN" in ASCII).
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;
// Largest message we build; checks and their answers stay far below one IPv6 minimum MTU.
inline constexpr std::size_t kMaxMessageSize = 548;

using TransactionId = std::array<std::uint8_t, kTransactionIdSize>;

enum class Method : std::uint16_t {
  binding = 0x001,
  // TURN (RFC 8656 §17).
  allocate = 0x003,
  refresh = 0x004,
  send = 0x006,
  data = 0x007,
  create_permission = 0x008,
  channel_bind = 0x009,
};

enum class MessageClass : std::uint8_t {
  request = 0,
  indication = 1,
  success_response = 2,
  error_response = 3,
};

// Attribute types we read or write. 0x0000–0x7FFF are comprehension-required.
namespace attr {
inline constexpr std::uint16_t mapped_address = 0x0001;
inline constexpr std::uint16_t username = 0x0006;
inline constexpr std::uint16_t message_integrity = 0x0008;
inline constexpr std::uint16_t error_code = 0x0009;
inline constexpr std::uint16_t unknown_attributes = 0x000A;
inline constexpr std::uint16_t channel_number = 0x000C; // TURN (RFC 8656 §18)
inline constexpr std::uint16_t lifetime = 0x000D;
inline constexpr std::uint16_t xor_peer_address = 0x0012;
inline constexpr std::uint16_t data = 0x0013;
inline constexpr std::uint16_t xor_relayed_address = 0x0016;
inline constexpr std::uint16_t requested_transport = 0x0019;
inline constexpr std::uint16_t realm = 0x0014;
inline constexpr std::uint16_t nonce = 0x0015;
inline constexpr std::uint16_t message_integrity_sha256 = 0x001C;
inline constexpr std::uint16_t xor_mapped_address = 0x0020;
inline constexpr std::uint16_t priority = 0x0024;
inline constexpr std::uint16_t use_candidate = 0x0025;
inline constexpr std::uint16_t software = 0x8022;
inline constexpr std::uint16_t fingerprint = 0x8028;
inline constexpr std::uint16_t ice_controlled = 0x8029;
inline constexpr std::uint16_t ice_controlling = 0x802A;
} // namespace attr

// ERROR-CODE values used by ICE (RFC 8489 §14.8, RFC 8445 §7.3.1.1).
namespace error {
inline constexpr std::uint16_t bad_request = 400;
inline constexpr std::uint16_t unauthenticated = 401;
inline constexpr std::uint16_t unknown_attribute = 420;
inline constexpr std::uint16_t stale_nonce = 438;
inline constexpr std::uint16_t role_conflict = 487;
inline constexpr std::uint16_t server_error = 500;
} // namespace error

// The 14-bit message type interleaves the 12 method bits with the 2 class bits (RFC 8489 §5).
constexpr std::uint16_t encode_message_type(Method method, MessageClass cls) {
  const auto m = static_cast<std::uint16_t>(method);
  const auto c = static_cast<std::uint16_t>(cls);
  return static_cast<std::uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                    ((c & 0x1) << 4) | ((c & 0x2) << 7));
}
constexpr std::uint16_t decode_method(std::uint16_t type) {
  return static_cast<std::uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) |
                                    ((type & 0x3E00) >> 2));
}
constexpr MessageClass decode_class(std::uint16_t type) {
  return static_cast<MessageClass>(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
}

} // namespace wab::stun
