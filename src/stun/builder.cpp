#include "stun/builder.hpp"

#include <cstring>

namespace wab::stun {

MessageBuilder::MessageBuilder(MutableBytes buffer, Method method, MessageClass cls,
                               const TransactionId& id)
    : buffer_(buffer) {
  if (buffer_.size() < kHeaderSize) {
    ok_ = false;
    return;
  }
  std::uint8_t* p = buffer_.data();
  store_be16(p, encode_message_type(method, cls));
  store_be16(p + 2, 0);
  store_be32(p + 4, kMagicCookie);
  std::memcpy(p + 8, id.data(), id.size());
  size_ = kHeaderSize;
}

void MessageBuilder::set_length(std::size_t body_length) {
  store_be16(buffer_.data() + 2, static_cast<std::uint16_t>(body_length));
}

std::uint8_t* MessageBuilder::append(std::uint16_t type, std::size_t len) {
  if (!ok_) return nullptr;
  const std::size_t padded = (len + 3) & ~std::size_t{3};
  if (len > 0xFFFF || buffer_.size() - size_ < kAttributeHeaderSize + padded ||
      size_ + kAttributeHeaderSize + padded - kHeaderSize > 0xFFFF) {
    ok_ = false;
    return nullptr;
  }
  std::uint8_t* p = buffer_.data() + size_;
  store_be16(p, type);
  store_be16(p + 2, static_cast<std::uint16_t>(len));
  std::memset(p + 4, 0, padded);
  size_ += kAttributeHeaderSize + padded;
  set_length(size_ - kHeaderSize);
  return p + 4;
}

void MessageBuilder::add_bytes(std::uint16_t type, Bytes value) {
  if (std::uint8_t* p = append(type, value.size()); p != nullptr && !value.empty()) {
    std::memcpy(p, value.data(), value.size());
  }
}

void MessageBuilder::add_string(std::uint16_t type, std::string_view value) {
  add_bytes(type, Bytes(reinterpret_cast<const std::uint8_t*>(value.data()), value.size()));
}

void MessageBuilder::add_u32(std::uint16_t type, std::uint32_t value) {
  if (std::uint8_t* p = append(type, 4)) store_be32(p, value);
}

void MessageBuilder::add_u64(std::uint16_t type, std::uint64_t value) {
  if (std::uint8_t* p = append(type, 8)) store_be64(p, value);
}

void MessageBuilder::add_xor_address(std::uint16_t type, const net::SocketAddress& address) {
  if (!address.valid()) {
    ok_ = false;
    return;
  }
  const std::size_t n = address.byte_length();
  std::uint8_t* p = append(type, 4 + n);
  if (p == nullptr) return;
  p[0] = 0;
  p[1] = address.is_v4() ? 0x01 : 0x02;
  store_be16(p + 2, static_cast<std::uint16_t>(address.port() ^ (kMagicCookie >> 16)));
  // The mask is the cookie followed by the transaction id, i.e. header bytes 4..19.
  const std::uint8_t* mask = buffer_.data() + 4;
  const std::uint8_t* ip = address.bytes();
  for (std::size_t i = 0; i < n; ++i)
    p[4 + i] = ip[i] ^ mask[i];
}

void MessageBuilder::add_error_code(std::uint16_t code, std::string_view reason) {
  if (code < 300 || code > 699 || reason.size() > 763) {
    ok_ = false;
    return;
  }
  std::uint8_t* p = append(attr::error_code, 4 + reason.size());
  if (p == nullptr) return;
  p[2] = static_cast<std::uint8_t>(code / 100);
  p[3] = static_cast<std::uint8_t>(code % 100);
  std::memcpy(p + 4, reason.data(), reason.size());
}

void MessageBuilder::add_message_integrity(const IntegrityKey& key) {
  // append() already sets the header length to include this attribute, as the HMAC requires.
  const std::size_t prefix = size_;
  std::uint8_t* p = append(attr::message_integrity, kIntegritySize);
  if (p == nullptr) return;
  const Bytes parts[] = {Bytes(buffer_.data(), prefix)};
  const IntegrityDigest digest = key.compute(parts);
  std::memcpy(p, digest.data(), digest.size());
}

void MessageBuilder::add_fingerprint() {
  const std::size_t prefix = size_;
  std::uint8_t* p = append(attr::fingerprint, 4);
  if (p == nullptr) return;
  store_be32(p, crc32(Bytes(buffer_.data(), prefix)) ^ kFingerprintXor);
}

} // namespace wab::stun
