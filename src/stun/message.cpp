#include "stun/message.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace wab::stun {
namespace {

constexpr std::size_t padded(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

std::string_view as_text(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

} // namespace

bool is_stun(Bytes d) {
  return d.size() >= kHeaderSize && d[0] < 4 && load_be32(d.data() + 4) == kMagicCookie &&
         (d[3] & 0x3) == 0;
}

std::optional<Message> Message::parse(Bytes d) {
  if (d.size() < kHeaderSize || (d[0] & 0xC0) != 0) return std::nullopt;
  if (load_be32(d.data() + 4) != kMagicCookie) return std::nullopt;
  const std::size_t length = load_be16(d.data() + 2);
  if (length % 4 != 0 || kHeaderSize + length != d.size()) return std::nullopt;

  Message m(d);
  std::size_t off = kHeaderSize;
  while (off < d.size()) {
    if (d.size() - off < kAttributeHeaderSize) return std::nullopt;
    const std::uint16_t type = load_be16(d.data() + off);
    const std::size_t len = load_be16(d.data() + off + 2);
    const std::size_t next = off + kAttributeHeaderSize + padded(len);
    if (next > d.size()) return std::nullopt;
    if (m.fingerprint_offset_ != 0) return std::nullopt; // FINGERPRINT must be last
    if (type == attr::message_integrity && m.integrity_offset_ == 0) {
      if (len != kIntegritySize) return std::nullopt;
      m.integrity_offset_ = off;
    } else if (type == attr::fingerprint) {
      if (len != 4) return std::nullopt;
      m.fingerprint_offset_ = off;
    }
    off = next;
  }
  return m;
}

TransactionId Message::transaction_id_copy() const {
  TransactionId id;
  std::memcpy(id.data(), data_.data() + 8, id.size());
  return id;
}

Attribute Message::Iterator::operator*() const {
  const std::uint16_t type = load_be16(data_.data() + offset_);
  const std::size_t len = load_be16(data_.data() + offset_ + 2);
  return Attribute{type, data_.subspan(offset_ + kAttributeHeaderSize, len)};
}

Message::Iterator& Message::Iterator::operator++() {
  const std::size_t len = load_be16(data_.data() + offset_ + 2);
  offset_ += kAttributeHeaderSize + padded(len);
  return *this;
}

std::optional<Bytes> Message::find(std::uint16_t type) const {
  for (auto it = begin(); it != end(); ++it) {
    const Attribute a = *it;
    // Past MESSAGE-INTEGRITY only FINGERPRINT counts: the rest is not authenticated.
    if (integrity_offset_ != 0 && it.offset() > integrity_offset_ && a.type != attr::fingerprint) {
      break;
    }
    if (a.type == type) return a.value;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> Message::first_unknown_required() const {
  static constexpr std::array<std::uint16_t, 12> kKnown = {attr::mapped_address,
                                                           attr::username,
                                                           attr::message_integrity,
                                                           attr::error_code,
                                                           attr::unknown_attributes,
                                                           attr::realm,
                                                           attr::nonce,
                                                           attr::message_integrity_sha256,
                                                           attr::xor_mapped_address,
                                                           attr::priority,
                                                           attr::use_candidate,
                                                           0x0003 /* CHANGE-REQUEST, obsolete */};
  for (Attribute a : *this) {
    if (a.type < 0x8000 && std::find(kKnown.begin(), kKnown.end(), a.type) == kKnown.end()) {
      return a.type;
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> Message::username() const {
  auto v = find(attr::username);
  if (!v || v->size() > 513) return std::nullopt;
  return as_text(*v);
}

std::optional<std::string_view> Message::software() const {
  auto v = find(attr::software);
  if (!v) return std::nullopt;
  return as_text(*v);
}

std::optional<std::uint32_t> Message::priority() const {
  auto v = find(attr::priority);
  if (!v || v->size() != 4) return std::nullopt;
  return load_be32(v->data());
}

std::optional<std::uint64_t> Message::ice_controlling() const {
  auto v = find(attr::ice_controlling);
  if (!v || v->size() != 8) return std::nullopt;
  return load_be64(v->data());
}

std::optional<std::uint64_t> Message::ice_controlled() const {
  auto v = find(attr::ice_controlled);
  if (!v || v->size() != 8) return std::nullopt;
  return load_be64(v->data());
}

std::optional<net::SocketAddress>
decode_xor_address(Bytes v, std::span<const std::uint8_t, kTransactionIdSize> transaction_id) {
  if (v.size() < 4) return std::nullopt;
  const std::uint8_t family = v[1];
  const auto port = static_cast<std::uint16_t>(load_be16(v.data() + 2) ^ (kMagicCookie >> 16));
  std::uint8_t mask[16];
  store_be32(mask, kMagicCookie);
  std::memcpy(mask + 4, transaction_id.data(), kTransactionIdSize);
  std::uint8_t ip[16];
  std::size_t n = 0;
  if (family == 0x01 && v.size() == 8) {
    n = 4;
  } else if (family == 0x02 && v.size() == 20) {
    n = 16;
  } else {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < n; ++i)
    ip[i] = v[4 + i] ^ mask[i];
  return net::SocketAddress::from_bytes(ip, n, port);
}

std::optional<net::SocketAddress> Message::xor_mapped_address() const {
  return xor_address(attr::xor_mapped_address);
}

std::optional<net::SocketAddress> Message::xor_address(std::uint16_t type) const {
  auto v = find(type);
  if (!v) return std::nullopt;
  return decode_xor_address(*v, transaction_id());
}

std::optional<std::string_view> Message::realm() const {
  auto v = find(attr::realm);
  if (!v || v->size() > 763) return std::nullopt;
  return as_text(*v);
}

std::optional<std::string_view> Message::nonce() const {
  auto v = find(attr::nonce);
  if (!v || v->size() > 763) return std::nullopt;
  return as_text(*v);
}

std::optional<std::uint32_t> Message::u32(std::uint16_t type) const {
  auto v = find(type);
  if (!v || v->size() != 4) return std::nullopt;
  return load_be32(v->data());
}

std::optional<ErrorCode> Message::error_code() const {
  auto v = find(attr::error_code);
  if (!v || v->size() < 4) return std::nullopt;
  const int cls = (*v)[2] & 0x07;
  const int number = (*v)[3];
  if (cls < 3 || cls > 6 || number > 99) return std::nullopt;
  return ErrorCode{static_cast<std::uint16_t>(cls * 100 + number), as_text(v->subspan(4))};
}

bool Message::check_integrity(const IntegrityKey& key) const {
  if (integrity_offset_ == 0) return false;
  // The length field must count up to and including MESSAGE-INTEGRITY, as when it was computed.
  std::uint8_t header[4];
  std::memcpy(header, data_.data(), 2);
  store_be16(header + 2,
             static_cast<std::uint16_t>(integrity_offset_ + 4 + kIntegritySize - kHeaderSize));
  const Bytes parts[] = {Bytes(header, 4), data_.subspan(4, integrity_offset_ - 4)};
  const IntegrityDigest expected = key.compute(parts);
  return digests_equal(expected, data_.subspan(integrity_offset_ + 4, kIntegritySize));
}

bool Message::check_fingerprint() const {
  if (fingerprint_offset_ == 0) return false;
  // FINGERPRINT is last, so the header length already covers it.
  const std::uint32_t crc = crc32(data_.first(fingerprint_offset_)) ^ kFingerprintXor;
  return load_be32(data_.data() + fingerprint_offset_ + 4) == crc;
}

} // namespace wab::stun
