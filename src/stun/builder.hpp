#pragma once
// Writes one STUN message into a caller-owned buffer (no heap). Attributes are appended in call
// order; add_message_integrity() and add_fingerprint() must come last, in that order. If the
// buffer is too small every later call is a no-op and ok() turns false. Owned by one thread.
#include <cstdint>
#include <string_view>

#include "common/bytes.hpp"
#include "net/socket_address.hpp"
#include "stun/constants.hpp"
#include "stun/integrity.hpp"

namespace wab::stun {

class MessageBuilder {
public:
  MessageBuilder(MutableBytes buffer, Method method, MessageClass cls, const TransactionId& id);

  void add_bytes(std::uint16_t type, Bytes value);
  void add_string(std::uint16_t type, std::string_view value);
  void add_u32(std::uint16_t type, std::uint32_t value);
  void add_u64(std::uint16_t type, std::uint64_t value);
  void add_flag(std::uint16_t type) { add_bytes(type, {}); }
  void add_xor_mapped_address(const net::SocketAddress& address) {
    add_xor_address(attr::xor_mapped_address, address);
  }
  // Any XOR-encoded address attribute (e.g. TURN's XOR-PEER-ADDRESS).
  void add_xor_address(std::uint16_t type, const net::SocketAddress& address);
  // `code` 300–699; the reason is UTF-8 text (at most 763 bytes).
  void add_error_code(std::uint16_t code, std::string_view reason);
  void add_message_integrity(const IntegrityKey& key);
  void add_fingerprint();

  bool ok() const { return ok_; }
  std::size_t size() const { return ok_ ? size_ : 0; }
  // The finished message (empty when !ok()).
  Bytes bytes() const { return Bytes(buffer_.data(), size()); }

private:
  // Reserves an attribute of `len` value bytes (zero padding included); nullptr on overflow.
  std::uint8_t* append(std::uint16_t type, std::size_t len);
  void set_length(std::size_t body_length);

  MutableBytes buffer_;
  std::size_t size_ = 0;
  bool ok_ = true;
};

} // namespace wab::stun
