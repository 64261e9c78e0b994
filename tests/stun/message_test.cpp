// Parser robustness and builder round trips beyond the RFC 5769 vectors.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "stun/builder.hpp"
#include "stun/message.hpp"

namespace wab::stun {
namespace {

const TransactionId kTid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

std::vector<std::uint8_t> build_check(const IntegrityKey& key, bool fingerprint = true) {
  std::array<std::uint8_t, kMaxMessageSize> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::request, kTid);
  b.add_string(attr::username, "remote:local");
  b.add_u32(attr::priority, 1862270975);
  b.add_u64(attr::ice_controlling, 0x0102030405060708ull);
  b.add_flag(attr::use_candidate);
  b.add_message_integrity(key);
  if (fingerprint) b.add_fingerprint();
  EXPECT_TRUE(b.ok());
  return {b.bytes().begin(), b.bytes().end()};
}

TEST(StunMessageType, EncodesAndDecodesAllClasses) {
  EXPECT_EQ(encode_message_type(Method::binding, MessageClass::request), 0x0001);
  EXPECT_EQ(encode_message_type(Method::binding, MessageClass::indication), 0x0011);
  EXPECT_EQ(encode_message_type(Method::binding, MessageClass::success_response), 0x0101);
  EXPECT_EQ(encode_message_type(Method::binding, MessageClass::error_response), 0x0111);
  for (std::uint16_t t : {0x0001, 0x0011, 0x0101, 0x0111, 0x0003, 0x0113}) {
    const auto m = static_cast<Method>(decode_method(t));
    EXPECT_EQ(encode_message_type(m, decode_class(t)), t);
  }
}

TEST(StunBuilder, RoundTripsIceCheck) {
  const auto key = IntegrityKey::short_term("secret-password-123456");
  const auto bytes = build_check(key);
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->username(), "remote:local");
  EXPECT_EQ(m->priority(), 1862270975u);
  EXPECT_EQ(m->ice_controlling(), 0x0102030405060708ull);
  EXPECT_TRUE(m->use_candidate());
  EXPECT_TRUE(m->check_integrity(key));
  EXPECT_TRUE(m->check_fingerprint());
  // The same key object verifies repeatedly (its HMAC context is re-initialised each time).
  EXPECT_TRUE(m->check_integrity(key));
  EXPECT_FALSE(m->check_integrity(IntegrityKey::short_term("other")));
}

TEST(StunBuilder, IntegrityWithoutFingerprintVerifies) {
  const auto key = IntegrityKey::short_term("pw");
  const auto bytes = build_check(key, false);
  auto m = Message::parse(bytes);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->has_fingerprint());
  EXPECT_FALSE(m->check_fingerprint());
  EXPECT_TRUE(m->check_integrity(key));
}

TEST(StunMessage, EveryFlippedBitBreaksIntegrityOrFingerprintOrParse) {
  const auto key = IntegrityKey::short_term("pw");
  const auto bytes = build_check(key);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto copy = bytes;
      copy[i] ^= static_cast<std::uint8_t>(1 << bit);
      auto m = Message::parse(copy);
      if (!m) continue;
      EXPECT_FALSE(m->check_integrity(key) && m->check_fingerprint()) << i << ":" << bit;
    }
  }
}

TEST(StunMessage, RejectsMalformedHeaders) {
  const auto bytes = build_check(IntegrityKey::short_term("pw"));
  EXPECT_FALSE(Message::parse(Bytes(bytes).first(19)));
  auto bad_cookie = bytes;
  bad_cookie[5] ^= 1;
  EXPECT_FALSE(Message::parse(bad_cookie));
  EXPECT_FALSE(is_stun(bad_cookie));
  auto top_bits = bytes;
  top_bits[0] |= 0x40;
  EXPECT_FALSE(Message::parse(top_bits));
  auto longer = bytes;
  longer.push_back(0);
  longer.push_back(0);
  longer.push_back(0);
  longer.push_back(0);
  EXPECT_FALSE(Message::parse(longer)); // length field no longer matches the datagram
  auto odd_length = bytes;
  store_be16(odd_length.data() + 2, static_cast<std::uint16_t>(bytes.size() - 20 - 2));
  EXPECT_FALSE(Message::parse(Bytes(odd_length).first(bytes.size() - 2)));
}

TEST(StunMessage, RejectsAttributeOverrunAndFingerprintNotLast) {
  std::array<std::uint8_t, 64> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::request, kTid);
  b.add_u32(attr::priority, 7);
  ASSERT_TRUE(b.ok());
  std::vector<std::uint8_t> bytes(b.bytes().begin(), b.bytes().end());
  store_be16(bytes.data() + 22, 5); // value length 5 → padded 8 > the 4 bytes present
  EXPECT_FALSE(Message::parse(bytes));

  std::array<std::uint8_t, 64> buf2{};
  MessageBuilder c(buf2, Method::binding, MessageClass::request, kTid);
  c.add_fingerprint();
  c.add_u32(attr::priority, 7);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(Message::parse(c.bytes()));
}

TEST(StunMessage, AttributesAfterIntegrityAreIgnored) {
  const auto key = IntegrityKey::short_term("pw");
  std::array<std::uint8_t, kMaxMessageSize> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::request, kTid);
  b.add_string(attr::username, "a:b");
  b.add_message_integrity(key);
  b.add_flag(attr::use_candidate); // smuggled after MESSAGE-INTEGRITY
  b.add_fingerprint();
  ASSERT_TRUE(b.ok());
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->use_candidate());
  EXPECT_TRUE(m->check_fingerprint());
  // The HMAC covers only up to MESSAGE-INTEGRITY, so it still verifies.
  EXPECT_TRUE(m->check_integrity(key));
}

TEST(StunMessage, ErrorCodeRoundTrip) {
  std::array<std::uint8_t, kMaxMessageSize> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::error_response, kTid);
  b.add_error_code(error::role_conflict, "Role Conflict");
  ASSERT_TRUE(b.ok());
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_binding(MessageClass::error_response));
  auto e = m->error_code();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 487);
  EXPECT_EQ(e->reason, "Role Conflict");
}

TEST(StunMessage, UnknownComprehensionRequiredAttributeIsReported) {
  std::array<std::uint8_t, kMaxMessageSize> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::request, kTid);
  b.add_u32(0xC057, 1); // comprehension-optional (Chrome's network info): fine
  b.add_u32(attr::priority, 1);
  EXPECT_FALSE(Message::parse(b.bytes())->first_unknown_required());
  b.add_u32(0x7001, 1);
  EXPECT_EQ(Message::parse(b.bytes())->first_unknown_required(), 0x7001);
}

TEST(StunBuilder, OverflowIsReportedNotWritten) {
  std::array<std::uint8_t, 28> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::request, kTid);
  b.add_u32(attr::priority, 1); // 20 + 8 = 28: fits exactly
  EXPECT_TRUE(b.ok());
  b.add_flag(attr::use_candidate);
  EXPECT_FALSE(b.ok());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(b.bytes().empty());
}

TEST(StunXorAddress, IPv6UsesTransactionId) {
  const auto addr = *net::SocketAddress::parse("2001:db8::42", 4242);
  std::array<std::uint8_t, kMaxMessageSize> buf{};
  MessageBuilder b(buf, Method::binding, MessageClass::success_response, kTid);
  b.add_xor_mapped_address(addr);
  auto m = Message::parse(b.bytes());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->xor_mapped_address(), addr);
  auto v = m->find(attr::xor_mapped_address);
  ASSERT_TRUE(v);
  TransactionId other = kTid;
  other[11] ^= 0xff;
  EXPECT_NE(decode_xor_address(*v, std::span<const std::uint8_t, 12>(other)), addr);
}

TEST(StunCrc32, MatchesKnownValue) {
  const std::uint8_t text[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(crc32(text), 0xCBF43926u); // the standard CRC-32 check value
}

} // namespace
} // namespace wab::stun
