#pragma once
// The files of one call, in the call-data directory: a JSON-lines transcript (speaker, text,
// time) and, when recording is on, both directions as Ogg Opus written from the RTP payloads
// without transcoding: what the caller said (`<id>.caller.ogg`) and what the caller heard
// (`<id>.agent.ogg`: the agent, the silence between its turns, the announcement).
//
// Owns: its open files. Threads: the call's loop. The writes are buffered; a full disk or a
// failed write stops that file (logged once) and never the call.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "ogg/ogg_opus_writer.hpp"

namespace wab::bridge {

struct CallDataSettings {
  std::filesystem::path directory; // empty: nothing is written
  bool record_audio = false;
};

class CallRecorder {
public:
  // Creates `<directory>/<YYYY-MM-DD>/`; throws std::runtime_error when it cannot.
  CallRecorder(const CallDataSettings& settings, std::string_view call_id,
               std::chrono::system_clock::time_point started);
  ~CallRecorder();
  CallRecorder(const CallRecorder&) = delete;
  CallRecorder& operator=(const CallRecorder&) = delete;

  void transcript(std::string_view speaker, std::string_view text);
  // The caller's Opus with its RTP timestamp: gaps (the caller's DTX, lost packets) are filled
  // with silence frames so the file keeps the call's timing.
  void caller_audio(Bytes payload, std::uint32_t rtp_timestamp);
  // What the caller hears, a continuous 20 ms stream.
  void heard_audio(Bytes payload);
  // Closes every file (idempotent).
  void finish();

  const std::filesystem::path& transcript_path() const { return transcript_path_; }

private:
  struct Track {
    std::ofstream file;
    std::unique_ptr<ogg::OggOpusWriter> writer;
    std::optional<std::uint32_t> next_timestamp;
    bool failed = false;
  };
  void write(Track& track, Bytes payload, std::uint32_t samples);
  void open_track(Track& track, const std::filesystem::path& path, std::uint32_t serial);

  std::string call_id_;
  std::filesystem::path transcript_path_;
  std::ofstream transcript_;
  Track caller_;
  Track heard_;
  bool finished_ = false;
};

// File name of a call id: Meta's ids are base64 ('/', '+', '='), which must not make paths.
std::string call_file_stem(std::string_view call_id);

// Deletes call files older than `max_age` under `directory` (and empty day folders). Returns
// how many files it removed; errors are skipped.
std::size_t remove_old_call_data(const std::filesystem::path& directory, Duration max_age);

} // namespace wab::bridge
