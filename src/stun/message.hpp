#pragma once
// A parsed STUN message: a non-owning view over the datagram (RFC 8489). Parsing validates the
// header and the attribute TLV layout once; typed getters then read fields in place, without
// allocation. The view is valid as long as the datagram bytes are. A value type; any thread.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/bytes.hpp"
#include "net/socket_address.hpp"
#include "stun/constants.hpp"
#include "stun/integrity.hpp"

namespace wab::stun {

// Cheap demultiplexing test (RFC 7983 first byte 0–3, plus length and magic cookie).
bool is_stun(Bytes datagram);

struct ErrorCode {
  std::uint16_t code = 0; // 300–699 (class * 100 + number)
  std::string_view reason;
};

struct Attribute {
  std::uint16_t type = 0;
  Bytes value;
};

class Message {
public:
  // Validates header (zero top bits, magic cookie, length matches the datagram, multiple of 4)
  // and attribute layout (each TLV with its padding inside the message; FINGERPRINT, if present,
  // is last). Returns nullopt for anything else.
  static std::optional<Message> parse(Bytes datagram);

  std::uint16_t type() const { return load_be16(data_.data()); }
  std::uint16_t method() const { return decode_method(type()); }
  MessageClass message_class() const { return decode_class(type()); }
  bool is_binding(MessageClass cls) const {
    return method() == static_cast<std::uint16_t>(Method::binding) && message_class() == cls;
  }
  std::span<const std::uint8_t, kTransactionIdSize> transaction_id() const {
    return std::span<const std::uint8_t, kTransactionIdSize>(data_.data() + 8, kTransactionIdSize);
  }
  TransactionId transaction_id_copy() const;
  Bytes bytes() const { return data_; }

  // Iterates the attributes in order (including those after MESSAGE-INTEGRITY).
  class Iterator {
  public:
    Iterator(Bytes data, std::size_t offset) : data_(data), offset_(offset) {}
    Attribute operator*() const;
    Iterator& operator++();
    bool operator==(const Iterator& o) const { return offset_ == o.offset_; }
    std::size_t offset() const { return offset_; }

  private:
    Bytes data_;
    std::size_t offset_;
  };
  Iterator begin() const { return Iterator(data_, kHeaderSize); }
  Iterator end() const { return Iterator(data_, data_.size()); }

  // First attribute of `type` that is covered by MESSAGE-INTEGRITY (RFC 8489 §14.5: anything after
  // it except FINGERPRINT is ignored).
  std::optional<Bytes> find(std::uint16_t type) const;
  // A comprehension-required attribute (< 0x8000) outside the set ICE understands, if any.
  std::optional<std::uint16_t> first_unknown_required() const;

  std::optional<std::string_view> username() const;
  std::optional<std::string_view> software() const;
  std::optional<std::uint32_t> priority() const;
  bool use_candidate() const { return find(attr::use_candidate).has_value(); }
  std::optional<std::uint64_t> ice_controlling() const;
  std::optional<std::uint64_t> ice_controlled() const;
  std::optional<net::SocketAddress> xor_mapped_address() const;
  std::optional<ErrorCode> error_code() const;
  // Any XOR-encoded address attribute (XOR-RELAYED-ADDRESS, XOR-PEER-ADDRESS of TURN).
  std::optional<net::SocketAddress> xor_address(std::uint16_t type) const;
  // REALM and NONCE (RFC 8489 §14.9, §14.10: at most 763 bytes each).
  std::optional<std::string_view> realm() const;
  std::optional<std::string_view> nonce() const;
  // A 32-bit attribute (LIFETIME, CHANNEL-NUMBER's first half is read by the caller).
  std::optional<std::uint32_t> u32(std::uint16_t type) const;

  bool has_integrity() const { return integrity_offset_ != 0; }
  bool has_fingerprint() const { return fingerprint_offset_ != 0; }
  // True when MESSAGE-INTEGRITY is present and matches `key` (HMAC over the prefix with the header
  // length adjusted to end right after MESSAGE-INTEGRITY).
  bool check_integrity(const IntegrityKey& key) const;
  // True when FINGERPRINT is present and matches.
  bool check_fingerprint() const;

private:
  explicit Message(Bytes data) : data_(data) {}
  Bytes data_;
  std::size_t integrity_offset_ = 0;   // offset of the MESSAGE-INTEGRITY attribute header
  std::size_t fingerprint_offset_ = 0; // offset of the FINGERPRINT attribute header
};

// Decodes an XOR-MAPPED-ADDRESS value (needs the transaction id for IPv6).
std::optional<net::SocketAddress>
decode_xor_address(Bytes value, std::span<const std::uint8_t, kTransactionIdSize> transaction_id);

} // namespace wab::stun
