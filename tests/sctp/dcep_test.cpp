#include "sctp/dcep.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wab::sctp {
namespace {

// DATA_CHANNEL_OPEN laid out by hand from RFC 8832 §5.1.
const std::vector<std::uint8_t> kOpenOaiEvents = {
    0x03,                   // message type: DATA_CHANNEL_OPEN
    0x81,                   // channel type: partial reliable rexmit, unordered
    0x01, 0x00,             // priority 256
    0x00, 0x00, 0x00, 0x05, // reliability parameter 5
    0x00, 0x0A,             // label length 10
    0x00, 0x04,             // protocol length 4
    'o',  'a',  'i',  '-',  'e', 'v', 'e', 'n', 't', 's', 'j', 's', 'o', 'n'};

TEST(DcepTest, ParsesOpen) {
  EXPECT_EQ(dcep_message_type(kOpenOaiEvents), DcepMessageType::open);
  const auto open = parse_dcep_open(kOpenOaiEvents);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->channel_type, ChannelType::partial_reliable_rexmit_unordered);
  EXPECT_TRUE(is_unordered(open->channel_type));
  EXPECT_EQ(open->priority, 256);
  EXPECT_EQ(open->reliability_parameter, 5u);
  EXPECT_EQ(open->label, "oai-events");
  EXPECT_EQ(open->protocol, "json");
}

TEST(DcepTest, SerialisesOpenByteExact) {
  DcepOpen open;
  open.channel_type = ChannelType::partial_reliable_rexmit_unordered;
  open.priority = 256;
  open.reliability_parameter = 5;
  open.label = "oai-events";
  open.protocol = "json";
  const auto bytes = serialize_dcep_open(open);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, kOpenOaiEvents);
}

TEST(DcepTest, EmptyLabelAndProtocolRoundTrip) {
  DcepOpen open;
  const auto bytes = serialize_dcep_open(open);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), kDcepOpenHeaderSize);
  const auto parsed = parse_dcep_open(*bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->channel_type, ChannelType::reliable);
  EXPECT_FALSE(is_unordered(parsed->channel_type));
  EXPECT_TRUE(parsed->label.empty());
}

TEST(DcepTest, RejectsMalformedOpen) {
  auto truncated = kOpenOaiEvents;
  truncated.pop_back();
  EXPECT_FALSE(parse_dcep_open(truncated));
  auto trailing = kOpenOaiEvents;
  trailing.push_back(0);
  EXPECT_FALSE(parse_dcep_open(trailing));
  auto bad_type = kOpenOaiEvents;
  bad_type[1] = 0x03; // no such channel type
  EXPECT_FALSE(parse_dcep_open(bad_type));
  EXPECT_FALSE(parse_dcep_open(Bytes(kOpenOaiEvents.data(), 11)));
  EXPECT_FALSE(parse_dcep_open(dcep_ack_message()));
}

TEST(DcepTest, AckAndUnknownTypes) {
  const auto ack = dcep_ack_message();
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_EQ(ack[0], 0x02);
  EXPECT_EQ(dcep_message_type(ack), DcepMessageType::ack);
  const std::uint8_t unknown[] = {0x04};
  EXPECT_FALSE(dcep_message_type(unknown));
  EXPECT_FALSE(dcep_message_type(Bytes{}));
}

TEST(DcepTest, RefusesOverlongLabel) {
  DcepOpen open;
  open.label.assign(70000, 'x');
  EXPECT_FALSE(serialize_dcep_open(open));
}

} // namespace
} // namespace wab::sctp
