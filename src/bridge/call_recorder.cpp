#include "bridge/call_recorder.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <stdexcept>

#include "common/log.hpp"
#include "rtp/opus.hpp"

namespace wab::bridge {
namespace {

// A gap longer than this is not filled (a recording must not balloon on a clock jump).
constexpr std::uint32_t kMaxFilledGap = 10 * rtp::kOpusClockRate;

} // namespace

std::string call_file_stem(std::string_view call_id) {
  std::string stem;
  for (const char c : call_id) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
    stem += plain ? c : '_';
  }
  return stem.empty() ? "call" : stem.substr(0, 200);
}

CallRecorder::CallRecorder(const CallDataSettings& settings, std::string_view call_id,
                           std::chrono::system_clock::time_point started)
    : call_id_(call_id) {
  const auto day = settings.directory /
                   fmt::format("{:%Y-%m-%d}", std::chrono::floor<std::chrono::seconds>(started));
  std::error_code error;
  std::filesystem::create_directories(day, error);
  if (error) throw std::runtime_error("cannot create " + day.string() + ": " + error.message());
  const std::string stem = call_file_stem(call_id);
  transcript_path_ = day / (stem + ".transcript.jsonl");
  transcript_.open(transcript_path_, std::ios::app);
  if (!transcript_) throw std::runtime_error("cannot write " + transcript_path_.string());
  if (settings.record_audio) {
    open_track(caller_, day / (stem + ".caller.ogg"), 1);
    open_track(heard_, day / (stem + ".agent.ogg"), 2);
  }
}

CallRecorder::~CallRecorder() {
  finish();
}

void CallRecorder::open_track(Track& track, const std::filesystem::path& path,
                              std::uint32_t serial) {
  track.file.open(path, std::ios::binary | std::ios::trunc);
  if (!track.file) throw std::runtime_error("cannot write " + path.string());
  track.writer = std::make_unique<ogg::OggOpusWriter>(track.file, serial);
}

void CallRecorder::transcript(std::string_view speaker, std::string_view text) {
  if (finished_ || !transcript_) return;
  transcript_ << nlohmann::json{{"ts", log::timestamp()},
                                {"call_id", call_id_},
                                {"speaker", speaker},
                                {"text", text}}
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  transcript_.flush(); // a transcript line is worth a syscall: it survives a crash
}

void CallRecorder::caller_audio(Bytes payload, std::uint32_t rtp_timestamp) {
  if (!caller_.writer || caller_.failed || finished_) return;
  const std::uint32_t samples = rtp::opus_packet_samples(payload);
  if (samples == 0) return;
  if (caller_.next_timestamp) {
    const std::uint32_t gap = rtp_timestamp - *caller_.next_timestamp; // wraps correctly
    if (gap > 0 && gap <= kMaxFilledGap) {
      for (std::uint32_t filled = 0; filled + rtp::kOpusSamplesPer20ms <= gap;
           filled += rtp::kOpusSamplesPer20ms) {
        write(caller_, Bytes(rtp::kOpusSilenceFrame), rtp::kOpusSamplesPer20ms);
      }
    } else if (gap > kMaxFilledGap && gap < 0x80000000u) {
      // A jump forward beyond the limit: carry on without filling.
    } else if (gap != 0) {
      return; // late or repeated packet: the file keeps its order
    }
  }
  caller_.next_timestamp = rtp_timestamp + samples;
  write(caller_, payload, samples);
}

void CallRecorder::heard_audio(Bytes payload) {
  if (!heard_.writer || heard_.failed || finished_) return;
  const std::uint32_t samples = rtp::opus_packet_samples(payload);
  if (samples != 0) write(heard_, payload, samples);
}

void CallRecorder::write(Track& track, Bytes payload, std::uint32_t samples) {
  try {
    track.writer->add_packet(payload, samples);
  } catch (const std::exception& e) {
    track.failed = true;
    log::warn("recording_failed", {{"call_id", call_id_}, {"error", e.what()}});
  }
}

void CallRecorder::finish() {
  if (finished_) return;
  finished_ = true;
  for (Track* track : {&caller_, &heard_}) {
    if (!track->writer || track->failed) continue;
    try {
      track->writer->finish();
    } catch (const std::exception& e) {
      log::warn("recording_failed", {{"call_id", call_id_}, {"error", e.what()}});
    }
    track->file.close();
  }
  transcript_.close();
}

std::size_t remove_old_call_data(const std::filesystem::path& directory, Duration max_age) {
  namespace fs = std::filesystem;
  std::size_t removed = 0;
  std::error_code error;
  const auto cutoff = fs::file_time_type::clock::now() -
                      std::chrono::duration_cast<fs::file_time_type::duration>(max_age);
  for (fs::directory_iterator day(directory, error), end; !error && day != end;
       day.increment(error)) {
    if (!day->is_directory(error)) continue;
    for (fs::directory_iterator file(day->path(), error), none; !error && file != none;
         file.increment(error)) {
      const auto written = file->last_write_time(error);
      if (!error && file->is_regular_file(error) && written < cutoff &&
          fs::remove(file->path(), error)) {
        ++removed;
      }
      error.clear();
    }
    error.clear();
    if (fs::is_empty(day->path(), error)) fs::remove(day->path(), error);
    error.clear();
  }
  return removed;
}

} // namespace wab::bridge
