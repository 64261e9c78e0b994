// Ogg Opus in and out: the shipped announcement parses into 20 ms packets, a written stream reads
// back byte-identical, and damaged files are refused with a reason.
#include <gtest/gtest.h>

#include <sstream>

#include "ogg/ogg_crc.hpp"
#include "ogg/ogg_opus_reader.hpp"
#include "ogg/ogg_opus_writer.hpp"

namespace wab::ogg {
namespace {

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

std::string write_clip(const std::vector<std::vector<std::uint8_t>>& packets) {
  std::ostringstream out;
  OggOpusWriter writer(out, 0x1234);
  for (const auto& p : packets)
    writer.add_packet(p, 960);
  writer.finish();
  return out.str();
}

TEST(OggOpus, ShippedAnnouncementIsMonoTwentyMillisecondPackets) {
  const auto clip = read_ogg_opus_file(WAB_ASSETS_DIR "/announcements/agent-unavailable.ogg");
  EXPECT_EQ(clip.channels, 1);
  ASSERT_GT(clip.packets.size(), 100u); // several seconds of speech
  for (const auto& p : clip.packets) {
    EXPECT_EQ(p.samples, 960u);
    EXPECT_GT(p.size, 0u);
  }
  EXPECT_EQ(clip.total_samples(), clip.packets.size() * 960u);
}

TEST(OggOpus, WrittenPacketsReadBackUnchanged) {
  std::vector<std::vector<std::uint8_t>> packets;
  for (int i = 0; i < 50; ++i) {
    std::vector<std::uint8_t> p(static_cast<std::size_t>(1 + i * 7), static_cast<std::uint8_t>(i));
    p[0] = 0xF8; // CELT 20 ms
    packets.push_back(p);
  }
  packets.push_back(std::vector<std::uint8_t>(600, 0xFC)); // spans three lacing segments
  packets.push_back(std::vector<std::uint8_t>(255, 0xFC)); // exactly one full segment + a 0
  const auto clip = read_ogg_opus(bytes_of(write_clip(packets)));
  ASSERT_EQ(clip.packets.size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto got = clip.payload(clip.packets[i]);
    EXPECT_EQ(std::vector<std::uint8_t>(got.begin(), got.end()), packets[i]) << "packet " << i;
  }
}

TEST(OggOpus, RefusesDamagedFilesWithAReason) {
  const std::string good = write_clip({{0xF8, 1, 2}, {0xF8, 3, 4}});
  auto expect_error = [](std::string file, const std::string& needle) {
    try {
      read_ogg_opus(bytes_of(file));
      ADD_FAILURE() << "accepted; expected: " << needle;
    } catch (const OggError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("", "no Ogg Opus headers");
  expect_error("RIFF....WAVEfmt ", "no Ogg page");
  expect_error(good.substr(0, good.size() - 5), "truncated");
  std::string flipped = good;
  flipped[40] = static_cast<char>(flipped[40] ^ 1);
  expect_error(flipped, "CRC mismatch");

  // A valid container whose packets are not valid Opus.
  std::ostringstream out;
  OggOpusWriter writer(out, 7);
  writer.add_packet(std::vector<std::uint8_t>{0xFB}, 960); // code 3 without a frame count
  writer.finish();
  expect_error(out.str(), "invalid Opus packet #0");

  // Headers but no audio.
  std::ostringstream empty;
  OggOpusWriter(empty, 8).finish();
  expect_error(empty.str(), "no audio packets");
  EXPECT_THROW(read_ogg_opus_file("/nonexistent/announcement.ogg"), OggError);
}

TEST(OggOpus, CrcMatchesTheSpecExample) {
  // CRC-32/MPEG-2 style without reflection and with initial 0 ("123456789" → 0x89A1897F).
  const std::string check = "123456789";
  std::vector<std::uint8_t> data(check.begin(), check.end());
  EXPECT_EQ(ogg_crc(data), 0x89A1897Fu);
}

} // namespace
} // namespace wab::ogg
