#include "rtp/rtp_rewriter.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/opus.hpp"
#include "rtp/rtp_packet.hpp"

namespace wab::rtp {
namespace {

struct Built {
  std::array<std::uint8_t, 1500> buf{};
  std::size_t len = 0;
  MutableBytes span() { return MutableBytes(buf.data(), buf.size()); }
  Bytes bytes() const { return Bytes(buf.data(), len); }
};

Built make_packet(std::uint8_t pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc,
                  bool marker = false, std::vector<std::uint8_t> payload = {1, 2, 3, 4, 5}) {
  Built b;
  b.buf[0] = 0x80;
  b.buf[1] = static_cast<std::uint8_t>((marker ? 0x80 : 0) | pt);
  store_be16(&b.buf[2], seq);
  store_be32(&b.buf[4], ts);
  store_be32(&b.buf[8], ssrc);
  std::copy(payload.begin(), payload.end(), b.buf.begin() + 12);
  b.len = 12 + payload.size();
  return b;
}

RtpHeader rewrite_ok(RtpRewriter& r, Built& b) {
  EXPECT_TRUE(r.rewrite(b.span(), b.len));
  const auto v = RtpView::parse(b.bytes());
  EXPECT_TRUE(v);
  return v ? v->header() : RtpHeader{};
}

TEST(RtpRewriter, SetsSsrcAndMappedPtKeepsMarkerAndPayload) {
  RtpRewriter r(0xcafef00d);
  r.map_payload_type(111, 96);
  Built b = make_packet(111, 7, 1000, 0x1234, true, {9, 8, 7, 6});
  const RtpHeader h = rewrite_ok(r, b);
  EXPECT_EQ(h.ssrc, 0xcafef00du);
  EXPECT_EQ(h.payload_type, 96);
  EXPECT_TRUE(h.marker);
  EXPECT_EQ(h.sequence, 7) << "first source keeps its numbering";
  EXPECT_EQ(h.timestamp, 1000u);
  EXPECT_EQ(b.len, 16u);
  EXPECT_EQ(std::vector<std::uint8_t>(b.buf.begin() + 12, b.buf.begin() + 16),
            (std::vector<std::uint8_t>{9, 8, 7, 6}));

  Built unmapped = make_packet(126, 8, 1960, 0x1234);
  EXPECT_EQ(rewrite_ok(r, unmapped).payload_type, 126) << "unmapped PT passes through";
}

TEST(RtpRewriter, SourceSwitchStaysContinuous) {
  RtpRewriter r(1);
  std::uint16_t seq = 100;
  std::uint32_t ts = 5000;
  RtpHeader last;
  for (int i = 0; i < 5; ++i) {
    Built b = make_packet(111, seq++, ts, 0xaaaa);
    ts += 960;
    last = rewrite_ok(r, b);
  }
  r.on_source_switch();
  // The new source has unrelated numbering.
  Built first_b = make_packet(111, 40000, 123456789, 0xbbbb);
  const RtpHeader h1 = rewrite_ok(r, first_b);
  EXPECT_EQ(h1.sequence, static_cast<std::uint16_t>(last.sequence + 1));
  EXPECT_EQ(h1.timestamp, last.timestamp + 960);
  Built second_b = make_packet(111, 40001, 123456789 + 960, 0xbbbb);
  const RtpHeader h2 = rewrite_ok(r, second_b);
  EXPECT_EQ(h2.sequence, static_cast<std::uint16_t>(last.sequence + 2));
  EXPECT_EQ(h2.timestamp, last.timestamp + 1920);
  EXPECT_EQ(h2.ssrc, 1u);
}

TEST(RtpRewriter, LearnsPacketStepForRebase) {
  RtpRewriter r(1);
  // 40 ms packets: 1920 units each.
  Built a = make_packet(111, 1, 0, 9);
  Built b = make_packet(111, 2, 1920, 9);
  rewrite_ok(r, a);
  const RtpHeader last = rewrite_ok(r, b);
  r.on_source_switch();
  Built c = make_packet(111, 500, 77, 10);
  EXPECT_EQ(rewrite_ok(r, c).timestamp, last.timestamp + 1920);
}

TEST(RtpRewriter, SequenceAndTimestampWrapAround) {
  RtpRewriter r(1);
  std::uint16_t seq = 65533;
  std::uint32_t ts = 0xffffffffu - 960; // wraps on the second step
  std::uint16_t expect_seq = seq;
  std::uint32_t expect_ts = ts;
  for (int i = 0; i < 6; ++i) {
    Built b = make_packet(111, seq++, ts, 3);
    ts += 960;
    const RtpHeader h = rewrite_ok(r, b);
    EXPECT_EQ(h.sequence, expect_seq++);
    EXPECT_EQ(h.timestamp, expect_ts);
    expect_ts += 960;
  }
  // A switch right after the wrap continues from the wrapped values.
  r.on_source_switch();
  Built b = make_packet(111, 65535, 0xfffffff0u, 4);
  const RtpHeader h = rewrite_ok(r, b);
  EXPECT_EQ(h.sequence, expect_seq);
  EXPECT_EQ(h.timestamp, expect_ts);
  Built next = make_packet(111, 0, 0xfffffff0u + 960, 4); // source wraps too
  const RtpHeader h2 = rewrite_ok(r, next);
  EXPECT_EQ(h2.sequence, static_cast<std::uint16_t>(expect_seq + 1));
  EXPECT_EQ(h2.timestamp, expect_ts + 960);
}

TEST(RtpRewriter, InsertGapAdvancesTimestampOnly) {
  RtpRewriter r(1);
  Built a = make_packet(111, 10, 1000, 2);
  const RtpHeader last = rewrite_ok(r, a);
  r.insert_gap(9600);
  r.insert_gap(960);
  Built b = make_packet(111, 11, 1960, 2);
  const RtpHeader h = rewrite_ok(r, b);
  EXPECT_EQ(h.sequence, 11);
  EXPECT_EQ(h.timestamp, last.timestamp + 960 + 9600 + 960);
  // The gap is not taken as the new packet step.
  r.on_source_switch();
  Built c = make_packet(111, 900, 5, 2);
  EXPECT_EQ(rewrite_ok(r, c).timestamp, h.timestamp + 960);
}

TEST(RtpRewriter, InsertedSilenceInterleavesContinuously) {
  RtpRewriter r(0x42);
  Built a = make_packet(111, 300, 9000, 5);
  const RtpHeader last = rewrite_ok(r, a);
  std::array<std::uint8_t, 64> out{};
  for (std::uint16_t i = 1; i <= 3; ++i) {
    const std::size_t n = r.build_inserted(out, 111, false, kOpusSilenceFrame, kOpusSamplesPer20ms);
    ASSERT_EQ(n, 15u);
    const auto v = RtpView::parse(Bytes(out.data(), n));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header().sequence, static_cast<std::uint16_t>(last.sequence + i));
    EXPECT_EQ(v->header().timestamp, last.timestamp + 960u * i);
    EXPECT_EQ(v->header().ssrc, 0x42u);
    EXPECT_EQ(v->payload()[0], 0xf8);
  }
  // The source resumes with its own (now stale) numbering: re-based after the silence.
  Built b = make_packet(111, 301, 9960, 5);
  const RtpHeader h = rewrite_ok(r, b);
  EXPECT_EQ(h.sequence, static_cast<std::uint16_t>(last.sequence + 4));
  EXPECT_EQ(h.timestamp, last.timestamp + 960u * 4);
  std::array<std::uint8_t, 8> too_small{};
  EXPECT_EQ(r.build_inserted(too_small, 111, false, kOpusSilenceFrame, 960), 0u);
  EXPECT_EQ(r.last_sequence(), h.sequence) << "a failed build reserves nothing";
}

TEST(RtpRewriter, ReorderedPacketKeepsRelativeOrder) {
  RtpRewriter r(1);
  Built a = make_packet(111, 10, 0, 2);
  Built c = make_packet(111, 12, 1920, 2);
  Built b = make_packet(111, 11, 960, 2);
  rewrite_ok(r, a);
  rewrite_ok(r, c);
  const RtpHeader late = rewrite_ok(r, b);
  EXPECT_EQ(late.sequence, 11);
  EXPECT_EQ(r.last_sequence(), 12) << "a late packet does not lower the highest sequence";
}

TEST(RtpRewriter, StripsExtensionInPlace) {
  // CSRC 1, extension 2 words, payload 4 bytes, padding 2 bytes.
  std::vector<std::uint8_t> raw = {0xb1, 0x6f, 0x00, 0x05, 0x00, 0x00, 0x10, 0x00, 0x00,
                                   0x00, 0x00, 0x07, 0xab, 0xcd, 0xef, 0x01, 0xbe, 0xde,
                                   0x00, 0x02, 0x10, 0x55, 0x22, 0x66, 0x77, 0x00, 0x00,
                                   0x00, 0xd1, 0xd2, 0xd3, 0xd4, 0x00, 0x02};
  Built b;
  std::copy(raw.begin(), raw.end(), b.buf.begin());
  b.len = raw.size();
  RtpRewriter r(0x99);
  ASSERT_TRUE(r.rewrite(b.span(), b.len));
  EXPECT_EQ(b.len, raw.size() - 12);
  const auto v = RtpView::parse(b.bytes());
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->header().extension);
  EXPECT_TRUE(v->header().padding);
  EXPECT_EQ(v->header().csrc_count, 1);
  EXPECT_EQ(v->csrc(0), 0xabcdef01u);
  EXPECT_EQ(v->padding_size(), 2);
  EXPECT_EQ(std::vector<std::uint8_t>(v->payload().begin(), v->payload().end()),
            (std::vector<std::uint8_t>{0xd1, 0xd2, 0xd3, 0xd4}));
  EXPECT_EQ(r.extensions_stripped(), 1u);
}

TEST(RtpRewriter, KeepsExtensionWhenAsked) {
  std::vector<std::uint8_t> raw = {0x90, 0x6f, 0,    1, 0, 0,    0,    1, 0, 0,   0,
                                   1,    0xbe, 0xde, 0, 1, 0x10, 0x55, 0, 0, 0xaa};
  Built b;
  std::copy(raw.begin(), raw.end(), b.buf.begin());
  b.len = raw.size();
  RtpRewriter r(2);
  r.set_strip_extensions(false);
  ASSERT_TRUE(r.rewrite(b.span(), b.len));
  EXPECT_EQ(b.len, raw.size());
  EXPECT_TRUE(RtpView::parse(b.bytes())->header().extension);
}

TEST(RtpRewriter, RejectsInvalidPacketUntouched) {
  RtpRewriter r(2);
  Built b = make_packet(111, 1, 1, 1);
  b.buf[0] = 0x40; // version 1
  const auto before = b.buf;
  std::size_t len = b.len;
  EXPECT_FALSE(r.rewrite(b.span(), len));
  EXPECT_EQ(len, b.len);
  EXPECT_EQ(b.buf, before);
  std::size_t too_long = b.buf.size() + 1;
  EXPECT_FALSE(r.rewrite(b.span(), too_long));
  EXPECT_FALSE(r.last_sequence());
}

} // namespace
} // namespace wab::rtp
