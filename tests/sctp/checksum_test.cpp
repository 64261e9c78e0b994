#include "sctp/checksum.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace wab::sctp {
namespace {

// RFC 3720 Appendix B.4: CRC32c test vectors (the same CRC SCTP uses).
TEST(Crc32cTest, Rfc3720Vectors) {
  std::vector<std::uint8_t> zeros(32, 0x00);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  std::vector<std::uint8_t> ones(32, 0xFF);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  std::vector<std::uint8_t> incrementing(32);
  for (std::size_t i = 0; i < 32; ++i)
    incrementing[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(crc32c(incrementing), 0x46DD794Eu);
  std::vector<std::uint8_t> decrementing(32);
  for (std::size_t i = 0; i < 32; ++i)
    decrementing[i] = static_cast<std::uint8_t>(31 - i);
  EXPECT_EQ(crc32c(decrementing), 0x113FDB5Cu);
}

std::vector<std::uint8_t> sample_packet() {
  // Common header (ports 5000 -> 5000, tag 0x01020304, checksum 0) + a HEARTBEAT-like chunk.
  return {0x13, 0x88, 0x13, 0x88, 0x01, 0x02, 0x03, 0x04, 0,    0,
          0,    0,    0x04, 0x00, 0x00, 0x08, 0xAA, 0xBB, 0xCC, 0xDD};
}

TEST(SctpChecksumTest, WrittenChecksumValidatesAndIsLittleEndianCrc) {
  auto packet = sample_packet();
  EXPECT_FALSE(sctp_checksum_valid(packet));
  write_sctp_checksum(packet);
  EXPECT_TRUE(sctp_checksum_valid(packet));
  // The field holds the CRC of the packet with a zero field, least significant byte first.
  auto zeroed = sample_packet();
  const std::uint32_t crc = crc32c(zeroed);
  EXPECT_EQ(packet[8], crc & 0xFF);
  EXPECT_EQ(packet[11], crc >> 24);
  packet[17] ^= 0x01;
  EXPECT_FALSE(sctp_checksum_valid(packet));
}

TEST(SctpChecksumTest, ParsesCommonHeader) {
  const auto packet = sample_packet();
  const auto header = parse_sctp_common_header(packet);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->source_port, 5000);
  EXPECT_EQ(header->destination_port, 5000);
  EXPECT_EQ(header->verification_tag, 0x01020304u);
  const std::vector<std::uint8_t> too_short(15, 0);
  EXPECT_FALSE(parse_sctp_common_header(too_short));
  EXPECT_FALSE(sctp_checksum_valid(Bytes(packet.data(), 11)));
}

} // namespace
} // namespace wab::sctp
