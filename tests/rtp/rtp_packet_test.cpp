#include "rtp/rtp_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wab::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// V=2, PT 111, seq 0x1234, ts 960, SSRC 0xdeadbeef, payload "abc".
const Packet kPlain = {0x80, 0x6f, 0x12, 0x34, 0x00, 0x00, 0x03, 0xc0,
                       0xde, 0xad, 0xbe, 0xef, 'a',  'b',  'c'};

// V=2 P X CC=2, M + PT 96, seq 1, ts 2, SSRC 3, CSRCs 0x11111111 0x22222222, one-byte extension
// (0xBEDE, 1 word: id 1 len 1 value 0xAA + 2 pad), payload 01 02, 3 bytes padding.
const Packet kFull = {0xb2, 0xe0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                      0x03, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22, 0xbe, 0xde,
                      0x00, 0x01, 0x10, 0xaa, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x03};

TEST(RtpView, ParsesPlainPacket) {
  const auto v = RtpView::parse(kPlain);
  ASSERT_TRUE(v);
  const RtpHeader& h = v->header();
  EXPECT_FALSE(h.padding);
  EXPECT_FALSE(h.extension);
  EXPECT_FALSE(h.marker);
  EXPECT_EQ(h.csrc_count, 0);
  EXPECT_EQ(h.payload_type, 111);
  EXPECT_EQ(h.sequence, 0x1234);
  EXPECT_EQ(h.timestamp, 960u);
  EXPECT_EQ(h.ssrc, 0xdeadbeefu);
  EXPECT_EQ(v->header_size(), 12u);
  ASSERT_EQ(v->payload().size(), 3u);
  EXPECT_EQ(v->payload()[0], 'a');
  EXPECT_TRUE(v->extension_data().empty());
}

TEST(RtpView, ParsesCsrcExtensionPaddingAndMarker) {
  const auto v = RtpView::parse(kFull);
  ASSERT_TRUE(v);
  const RtpHeader& h = v->header();
  EXPECT_TRUE(h.padding);
  EXPECT_TRUE(h.extension);
  EXPECT_TRUE(h.marker);
  EXPECT_EQ(h.payload_type, 96);
  EXPECT_EQ(h.csrc_count, 2);
  EXPECT_EQ(v->csrc(0), 0x11111111u);
  EXPECT_EQ(v->csrc(1), 0x22222222u);
  EXPECT_EQ(h.extension_profile, 0xbede);
  ASSERT_EQ(v->extension_data().size(), 4u);
  EXPECT_EQ(v->extension_data()[1], 0xaa);
  EXPECT_EQ(v->header_size(), 28u);
  EXPECT_EQ(v->padding_size(), 3);
  ASSERT_EQ(v->payload().size(), 2u);
  EXPECT_EQ(v->payload()[0], 0x01);
  EXPECT_EQ(v->payload()[1], 0x02);
}

TEST(RtpView, PaddingMayConsumeWholePayload) {
  Packet p = {0xa0, 0x6f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4};
  const auto v = RtpView::parse(p);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->payload().empty());
  EXPECT_EQ(v->padding_size(), 4);
}

TEST(RtpView, RejectsMalformedHeaders) {
  EXPECT_FALSE(RtpView::parse(Packet(kPlain.begin(), kPlain.begin() + 11))) << "short";
  Packet v1 = kPlain;
  v1[0] = 0x40;
  EXPECT_FALSE(RtpView::parse(v1)) << "version 1";
  Packet v0 = kPlain;
  v0[0] = 0x00;
  EXPECT_FALSE(RtpView::parse(v0)) << "version 0";
  Packet csrc_overflow = kPlain;
  csrc_overflow[0] = 0x8f; // 15 CSRCs need 60 bytes
  EXPECT_FALSE(RtpView::parse(csrc_overflow));
  Packet ext_header_missing = {0x90, 0x6f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde};
  EXPECT_FALSE(RtpView::parse(ext_header_missing));
  Packet ext_overflow = {0x90, 0x6f, 0,    1,    0,    0,    0, 1, 0, 0,
                         0,    1,    0xbe, 0xde, 0x00, 0x02, 1, 2, 3, 4};
  EXPECT_FALSE(RtpView::parse(ext_overflow)) << "extension says 8 bytes, 4 present";
  Packet zero_pad = kPlain;
  zero_pad[0] |= 0x20;
  zero_pad.back() = 0;
  EXPECT_FALSE(RtpView::parse(zero_pad)) << "padding count 0";
  Packet big_pad = kPlain;
  big_pad[0] |= 0x20;
  big_pad.back() = 4; // payload is only 3 bytes
  EXPECT_FALSE(RtpView::parse(big_pad));
  Packet pad_into_ext = kFull;
  pad_into_ext.back() = 6; // payload+padding is 5 bytes
  EXPECT_FALSE(RtpView::parse(pad_into_ext));
}

TEST(RtpView, ExactLengthBoundariesAccepted) {
  Packet header_only(kPlain.begin(), kPlain.begin() + 12);
  const auto v = RtpView::parse(header_only);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->payload().empty());
  Packet ext_only = {0x90, 0x6f, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0x00, 0x00};
  const auto e = RtpView::parse(ext_only);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->extension_data().empty());
  EXPECT_EQ(e->header_size(), 16u);
}

TEST(RtcpDemux, Rfc5761Ranges) {
  Packet p = {0x80, 0, 0, 0};
  for (int second = 0; second < 256; ++second) {
    p[1] = static_cast<std::uint8_t>(second);
    EXPECT_EQ(is_rtcp(p), second >= 192 && second <= 223) << second;
  }
  p[1] = 200;
  for (int first : {0, 1, 20, 63, 127, 192, 255}) {
    p[0] = static_cast<std::uint8_t>(first);
    EXPECT_FALSE(is_rtcp(p)) << first;
  }
  p[0] = 191;
  EXPECT_TRUE(is_rtcp(p));
  EXPECT_FALSE(is_rtcp(Packet{0x80, 200, 0}));
  EXPECT_TRUE(looks_like_rtp_or_rtcp(kPlain));
  EXPECT_FALSE(looks_like_rtp_or_rtcp(Packet{0x16, 0xfe, 0xfd, 0}));    // DTLS
  EXPECT_FALSE(looks_like_rtp_or_rtcp(Packet{0x00, 0x01, 0x00, 0x00})); // STUN
}

} // namespace
} // namespace wab::rtp
