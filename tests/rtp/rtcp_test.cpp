#include "rtp/rtcp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/rtcp_writer.hpp"
#include "rtp/rtp_packet.hpp"

namespace wab::rtp {
namespace {

using Packet = std::vector<std::uint8_t>;

// Hand-assembled RR: sender 1, one block about SSRC 2: fraction 0x40, cumulative lost -2,
// extended highest 0x00010005, jitter 16, LSR 0x12345678, DLSR 1 s.
const Packet kReceiverReport = {0x81, 0xc9, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                                0x02, 0x40, 0xff, 0xff, 0xfe, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00,
                                0x00, 0x10, 0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00};

// Hand-assembled SDES: one chunk, SSRC 1, CNAME "abcd", terminator + pad.
const Packet kSdes = {0x81, 0xca, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                      0x01, 0x04, 'a',  'b',  'c',  'd',  0x00, 0x00};

TEST(RtcpParse, HandAssembledReceiverReport) {
  ASSERT_TRUE(is_rtcp(kReceiverReport));
  RtcpCompoundReader reader(kReceiverReport);
  const auto packet = reader.next();
  ASSERT_TRUE(packet);
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.error());
  EXPECT_EQ(packet->packet_type(), static_cast<std::uint8_t>(RtcpType::receiver_report));
  const auto rr = ReceiverReportView::parse(*packet);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->ssrc(), 1u);
  ASSERT_EQ(rr->report_count(), 1u);
  const ReportBlock b = rr->report_block(0);
  EXPECT_EQ(b.ssrc, 2u);
  EXPECT_EQ(b.fraction_lost, 0x40);
  EXPECT_EQ(b.cumulative_lost, -2);
  EXPECT_EQ(b.extended_highest_sequence, 0x00010005u);
  EXPECT_EQ(b.jitter, 16u);
  EXPECT_EQ(b.last_sr, 0x12345678u);
  EXPECT_EQ(b.delay_since_last_sr, 65536u);
  EXPECT_FALSE(SenderReportView::parse(*packet)) << "type mismatch";
}

TEST(RtcpParse, HandAssembledSdes) {
  RtcpCompoundReader reader(kSdes);
  const auto packet = reader.next();
  ASSERT_TRUE(packet);
  const auto cname = SdesReader::find_cname(*packet);
  ASSERT_TRUE(cname);
  EXPECT_EQ(cname->ssrc, 1u);
  EXPECT_EQ(cname->text, "abcd");
}

TEST(RtcpBuild, SenderReportWithSdesAndByeRoundTrip) {
  std::array<std::uint8_t, 512> buf{};
  SenderInfo sender;
  sender.ssrc = 0x11223344;
  sender.ntp_timestamp =
      ntp_from_system_time(std::chrono::system_clock::time_point{} +
                           std::chrono::seconds(1'700'000'000) + std::chrono::milliseconds(250));
  sender.rtp_timestamp = 0xfedcba98;
  sender.packet_count = 1234;
  sender.octet_count = 98765;
  std::array<ReportBlock, 2> blocks{};
  blocks[0] = {0xaaaa0001, 12, 345, 0x0002ffff, 77, 0x01020304, 6553};
  blocks[1] = {0xaaaa0002, 255, -7, 5, 0, 0, 0};

  std::size_t len = write_sender_report(buf, sender, blocks);
  ASSERT_EQ(len, 28u + 48u);
  const std::size_t sdes =
      write_sdes_cname(MutableBytes(buf).subspan(len), sender.ssrc, "bridge-cname");
  ASSERT_GT(sdes, 0u);
  EXPECT_EQ(sdes % 4, 0u);
  len += sdes;
  const std::array<std::uint32_t, 2> gone = {sender.ssrc, 0x55};
  const std::size_t bye = write_bye(MutableBytes(buf).subspan(len), gone, "call ended");
  ASSERT_GT(bye, 0u);
  len += bye;

  const Bytes compound(buf.data(), len);
  EXPECT_TRUE(is_rtcp(compound));
  EXPECT_TRUE(validate_rtcp_compound(compound));
  RtcpCompoundReader reader(compound);

  const auto p1 = reader.next();
  ASSERT_TRUE(p1);
  const auto sr = SenderReportView::parse(*p1);
  ASSERT_TRUE(sr);
  EXPECT_EQ(sr->sender().ssrc, sender.ssrc);
  EXPECT_EQ(sr->sender().ntp_timestamp, sender.ntp_timestamp);
  EXPECT_EQ(sr->sender().ntp_timestamp >> 32, 1'700'000'000ull + 2'208'988'800ull);
  EXPECT_EQ(sr->sender().ntp_timestamp & 0xffffffffu, 0x40000000u) << "0.25 s";
  EXPECT_EQ(sr->sender().rtp_timestamp, sender.rtp_timestamp);
  EXPECT_EQ(sr->sender().packet_count, 1234u);
  EXPECT_EQ(sr->sender().octet_count, 98765u);
  ASSERT_EQ(sr->report_count(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const ReportBlock b = sr->report_block(i);
    EXPECT_EQ(b.ssrc, blocks[i].ssrc);
    EXPECT_EQ(b.fraction_lost, blocks[i].fraction_lost);
    EXPECT_EQ(b.cumulative_lost, blocks[i].cumulative_lost);
    EXPECT_EQ(b.extended_highest_sequence, blocks[i].extended_highest_sequence);
    EXPECT_EQ(b.jitter, blocks[i].jitter);
    EXPECT_EQ(b.last_sr, blocks[i].last_sr);
    EXPECT_EQ(b.delay_since_last_sr, blocks[i].delay_since_last_sr);
  }

  const auto p2 = reader.next();
  ASSERT_TRUE(p2);
  const auto cname = SdesReader::find_cname(*p2);
  ASSERT_TRUE(cname);
  EXPECT_EQ(cname->ssrc, sender.ssrc);
  EXPECT_EQ(cname->text, "bridge-cname");

  const auto p3 = reader.next();
  ASSERT_TRUE(p3);
  const auto parsed_bye = ByeView::parse(*p3);
  ASSERT_TRUE(parsed_bye);
  ASSERT_EQ(parsed_bye->ssrc_count(), 2u);
  EXPECT_EQ(parsed_bye->ssrc(0), sender.ssrc);
  EXPECT_EQ(parsed_bye->ssrc(1), 0x55u);
  EXPECT_EQ(parsed_bye->reason(), "call ended");
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.error());
}

TEST(RtcpBuild, ReceiverReportRoundTripAndLimits) {
  std::array<std::uint8_t, 1024> buf{};
  ReportBlock b{7, 1, 0x7fffff + 10, 100, 2, 3, 4}; // cumulative loss clamps to 24 bits
  const std::size_t len = write_receiver_report(buf, 0x77, std::span<const ReportBlock>(&b, 1));
  ASSERT_EQ(len, 32u);
  RtcpCompoundReader reader(Bytes(buf.data(), len));
  const auto rr = ReceiverReportView::parse(*reader.next());
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->ssrc(), 0x77u);
  EXPECT_EQ(rr->report_block(0).cumulative_lost, 0x7fffff);

  EXPECT_EQ(write_receiver_report(buf, 1), 8u) << "empty RR";
  std::vector<ReportBlock> too_many(32);
  EXPECT_EQ(write_receiver_report(buf, 1, too_many), 0u);
  std::array<std::uint8_t, 31> small{};
  EXPECT_EQ(write_receiver_report(small, 1, std::span<const ReportBlock>(&b, 1)), 0u);
  EXPECT_EQ(write_sdes_cname(buf, 1, std::string(256, 'x')), 0u);
  EXPECT_EQ(write_bye(small, std::span<const std::uint32_t>{}, std::string(40, 'x')), 0u);
}

TEST(RtcpBuild, ByeWithoutReason) {
  std::array<std::uint8_t, 16> buf{};
  const std::uint32_t ssrc = 9;
  const std::size_t len = write_bye(buf, std::span<const std::uint32_t>(&ssrc, 1));
  ASSERT_EQ(len, 8u);
  RtcpCompoundReader reader(Bytes(buf.data(), len));
  const auto bye = ByeView::parse(*reader.next());
  ASSERT_TRUE(bye);
  EXPECT_EQ(bye->ssrc(0), 9u);
  EXPECT_TRUE(bye->reason().empty());
}

TEST(RtcpParse, FeedbackAndAppPassThrough) {
  // PLI (PSFB FMT 1): sender 1, media 2, no FCI; then APP subtype 3 "TEST" with 4 data bytes.
  const Packet compound = {0x81, 0xce, 0x00, 0x02, 0, 0, 0,   1,   0,   0,   0, 2, 0x83, 0xcc,
                           0x00, 0x03, 0,    0,    0, 5, 'T', 'E', 'S', 'T', 1, 2, 3,    4};
  RtcpCompoundReader reader(compound);
  const auto pli = FeedbackView::parse(*reader.next());
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->format(), 1);
  EXPECT_EQ(pli->sender_ssrc(), 1u);
  EXPECT_EQ(pli->media_ssrc(), 2u);
  EXPECT_TRUE(pli->fci().empty());
  const auto app = AppView::parse(*reader.next());
  ASSERT_TRUE(app);
  EXPECT_EQ(app->subtype(), 3);
  EXPECT_EQ(app->ssrc(), 5u);
  EXPECT_EQ(app->name(), "TEST");
  EXPECT_EQ(app->data().size(), 4u);
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.error());
}

TEST(RtcpParse, PaddingOnlyOnLastPacket) {
  // RR (empty) with 4 bytes of padding as the last packet: valid.
  Packet padded = {0xa0, 0xc9, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4};
  RtcpCompoundReader r1(padded);
  const auto rr = r1.next();
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->bytes().size(), 8u);
  EXPECT_TRUE(validate_rtcp_compound(padded));
  // The same packet followed by another: padding on a non-last packet is malformed.
  Packet not_last = padded;
  not_last.insert(not_last.end(), {0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 2});
  EXPECT_FALSE(validate_rtcp_compound(not_last));
  Packet bad_count = padded;
  bad_count.back() = 9; // more than the body
  EXPECT_FALSE(validate_rtcp_compound(bad_count));
  bad_count.back() = 0;
  EXPECT_FALSE(validate_rtcp_compound(bad_count));
}

TEST(RtcpParse, RejectsMalformedCompounds) {
  EXPECT_FALSE(validate_rtcp_compound(Packet{}));
  EXPECT_FALSE(validate_rtcp_compound(Packet{0x80, 0xc9, 0x00}));
  Packet truncated = kReceiverReport;
  truncated.pop_back();
  EXPECT_FALSE(validate_rtcp_compound(truncated)) << "length field exceeds datagram";
  Packet wrong_version = kReceiverReport;
  wrong_version[0] = 0x41;
  EXPECT_FALSE(validate_rtcp_compound(wrong_version));
  Packet wrong_type = kReceiverReport;
  wrong_type[1] = 96; // an RTP payload type, not RTCP
  EXPECT_FALSE(validate_rtcp_compound(wrong_type));
  Packet trailing = kReceiverReport;
  trailing.push_back(0x80); // garbage after a valid packet
  EXPECT_FALSE(validate_rtcp_compound(trailing));

  // Report count larger than the packet: header-valid, but the RR view refuses it.
  Packet rr_overcount = {0x82, 0xc9, 0x00, 0x07, 0, 0, 0, 1};
  rr_overcount.resize(32, 0);
  RtcpCompoundReader reader(rr_overcount);
  const auto p = reader.next();
  ASSERT_TRUE(p);
  EXPECT_FALSE(ReceiverReportView::parse(*p));

  // SDES whose item runs past the end.
  Packet sdes_overrun = kSdes;
  sdes_overrun[9] = 9;
  RtcpCompoundReader sdes_reader(sdes_overrun);
  EXPECT_FALSE(SdesReader::parse(*sdes_reader.next()));
  // BYE whose reason length runs past the end.
  Packet bye_overrun = {0x81, 0xcb, 0x00, 0x02, 0, 0, 0, 1, 10, 'a', 'b', 'c'};
  RtcpCompoundReader bye_reader(bye_overrun);
  EXPECT_FALSE(ByeView::parse(*bye_reader.next()));
}

TEST(Ntp, EpochAndFraction) {
  const auto unix_epoch = std::chrono::system_clock::time_point{};
  EXPECT_EQ(ntp_from_system_time(unix_epoch), 2208988800ull << 32);
  EXPECT_EQ(ntp_from_system_time(unix_epoch + std::chrono::milliseconds(500)) & 0xffffffffu,
            0x80000000u);
  EXPECT_EQ(ntp_middle32(0x0123456789abcdefull), 0x456789abu);
}

} // namespace
} // namespace wab::rtp
