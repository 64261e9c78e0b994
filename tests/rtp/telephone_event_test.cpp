#include "rtp/telephone_event.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rtp/opus.hpp"

namespace wab::rtp {
namespace {

TEST(TelephoneEvent, AllSixteenDigits) {
  std::string digits;
  for (std::uint8_t e = 0; e < 16; ++e) {
    const std::vector<std::uint8_t> payload = {e, 0x0a, 0x01, 0x40};
    const auto parsed = parse_telephone_event(payload);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->event, e);
    digits += digit_char(parsed->event);
  }
  EXPECT_EQ(digits, "0123456789*#ABCD");
  EXPECT_EQ(digit_char(16), '\0');
  EXPECT_EQ(digit_char(255), '\0');
}

TEST(TelephoneEvent, EndBitVolumeDuration) {
  // Event 5, E=1, R=1 (ignored), volume 10, duration 1280 (160 ms at 8 kHz).
  const std::vector<std::uint8_t> end = {0x05, 0xca, 0x05, 0x00};
  const auto e = parse_telephone_event(end);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->event, 5);
  EXPECT_TRUE(e->end);
  EXPECT_EQ(e->volume, 10);
  EXPECT_EQ(e->duration, 1280);
  const std::vector<std::uint8_t> ongoing = {0x0b, 0x3f, 0x00, 0xa0};
  const auto o = parse_telephone_event(ongoing);
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->end);
  EXPECT_EQ(o->volume, 63);
  EXPECT_EQ(o->duration, 160);
  EXPECT_EQ(digit_char(o->event), '#');
}

TEST(TelephoneEvent, ShortPayloadRejected) {
  EXPECT_FALSE(parse_telephone_event(std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_FALSE(parse_telephone_event(Bytes{}));
}

TEST(TelephoneEvent, RecognisesNegotiatedPayloadType) {
  std::vector<std::uint8_t> packet = {0x80, 0x7e, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x01, 0x8a, 0, 160};
  const auto dtmf = RtpView::parse(packet);
  ASSERT_TRUE(dtmf);
  EXPECT_TRUE(is_telephone_event(*dtmf, 126));
  EXPECT_FALSE(is_telephone_event(*dtmf, 101));
  packet[1] = 0x80 | 111; // marker + Opus
  const auto opus = RtpView::parse(packet);
  ASSERT_TRUE(opus);
  EXPECT_FALSE(is_telephone_event(*opus, 126));
  const auto ev = parse_telephone_event(dtmf->payload());
  ASSERT_TRUE(ev);
  EXPECT_EQ(digit_char(ev->event), '1');
  EXPECT_TRUE(ev->end);
}

TEST(OpusSilence, FrameIsTheKnownThreeBytes) {
  EXPECT_EQ(kOpusSilenceFrame.size(), 3u);
  EXPECT_EQ(kOpusSilenceFrame[0], 0xf8); // TOC: config 31 (CELT FB 20 ms), mono, 1 frame
  EXPECT_EQ(kOpusSilenceFrame[1], 0xff);
  EXPECT_EQ(kOpusSilenceFrame[2], 0xfe);
}

} // namespace
} // namespace wab::rtp
