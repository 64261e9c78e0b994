// Call files: the transcript's JSON lines, both directions' Ogg Opus (the caller's with its gaps
// filled by silence so the timing holds), safe file names and the retention sweep.
#include "bridge/call_recorder.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <vector>

#include "ogg/ogg_opus_reader.hpp"
#include "rtp/opus.hpp"

namespace wab::bridge {
namespace {

namespace fs = std::filesystem;

class CallRecorderTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("wabridge-calldata-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<std::uint8_t> packet(std::uint8_t tag) { return {0xF8, tag, tag}; }

  static ogg::OpusClip read_clip(const fs::path& path) {
    return ogg::read_ogg_opus_file(path.string());
  }

  fs::path day_dir() const {
    for (const auto& entry : fs::directory_iterator(dir_))
      return entry.path();
    return {};
  }

  fs::path dir_;
};

TEST_F(CallRecorderTest, WritesTheTranscriptAndBothDirections) {
  {
    CallRecorder recorder({dir_, true}, "wacid.HBgL/+x=", std::chrono::system_clock::now());
    recorder.transcript("agent", "Hello, Luigi's!");
    recorder.transcript("caller", "A table for two, \"tonight\".");
    recorder.caller_audio(packet(1), 1000);
    recorder.caller_audio(packet(2), 1960);
    recorder.caller_audio(packet(3), 1960 + 960 * 4); // three 20 ms packets missing
    recorder.caller_audio(packet(9), 1960);           // late: ignored
    for (std::uint8_t i = 0; i < 5; ++i)
      recorder.heard_audio(packet(i));
    recorder.finish();
  }
  const fs::path day = day_dir();
  const std::string stem = "wacid.HBgL__x_";
  std::ifstream transcript(day / (stem + ".transcript.jsonl"));
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(transcript, line);)
    lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["speaker"], "agent");
  EXPECT_EQ(lines[1]["text"], "A table for two, \"tonight\".");
  EXPECT_EQ(lines[1]["call_id"], "wacid.HBgL/+x=");
  EXPECT_FALSE(lines[0].value("ts", "").empty());

  const auto caller = read_clip(day / (stem + ".caller.ogg"));
  ASSERT_EQ(caller.packets.size(), 6u); // 1, 2, three silences, 3
  EXPECT_EQ(caller.payload(caller.packets[1])[1], 2);
  const auto silence = caller.payload(caller.packets[2]);
  EXPECT_TRUE(std::equal(silence.begin(), silence.end(), rtp::kOpusSilenceFrame.begin(),
                         rtp::kOpusSilenceFrame.end()));
  EXPECT_EQ(caller.payload(caller.packets[5])[1], 3);
  EXPECT_EQ(read_clip(day / (stem + ".agent.ogg")).packets.size(), 5u);
}

TEST_F(CallRecorderTest, WithoutRecordingOnlyTheTranscriptIsWritten) {
  CallRecorder recorder({dir_, false}, "c1", std::chrono::system_clock::now());
  recorder.caller_audio(packet(1), 0);
  recorder.transcript("caller", "hi");
  recorder.finish();
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(day_dir()))
    files.push_back(entry.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"c1.transcript.jsonl"});
}

TEST_F(CallRecorderTest, RetentionRemovesOnlyOldFilesAndEmptyDays) {
  fs::create_directories(dir_ / "2020-01-01");
  fs::create_directories(dir_ / "2026-11-24");
  std::ofstream(dir_ / "2020-01-01" / "old.transcript.jsonl") << "{}\n";
  std::ofstream(dir_ / "2026-11-24" / "new.transcript.jsonl") << "{}\n";
  std::ofstream(dir_ / "2026-11-24" / "old.caller.ogg") << "x";
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24 * 40);
  fs::last_write_time(dir_ / "2020-01-01" / "old.transcript.jsonl", long_ago);
  fs::last_write_time(dir_ / "2026-11-24" / "old.caller.ogg", long_ago);
  EXPECT_EQ(remove_old_call_data(dir_, std::chrono::hours(24 * 30)), 2u);
  EXPECT_FALSE(fs::exists(dir_ / "2020-01-01"));
  EXPECT_TRUE(fs::exists(dir_ / "2026-11-24" / "new.transcript.jsonl"));
  EXPECT_EQ(remove_old_call_data(dir_ / "missing", std::chrono::hours(1)), 0u);
}

TEST(CallFileStem, KeepsIdsReadableAndPathsSafe) {
  EXPECT_EQ(call_file_stem("wacid.ABC-123"), "wacid.ABC-123");
  EXPECT_EQ(call_file_stem("../../etc/passwd"), ".._.._etc_passwd");
  EXPECT_EQ(call_file_stem(""), "call");
}

} // namespace
} // namespace wab::bridge
