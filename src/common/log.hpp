#pragma once
// JSON-lines logging: one event per line on stdout with `ts`, `level`, `event` and the given
// fields. Thread-safe (one write(2) per line). Not for the packet path: use RateLimitedLog there.
#include <nlohmann/json.hpp>

#include <string_view>

#include "common/clock.hpp"

namespace wab::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);
// Parses "debug", "info", "warn", "error"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);

// Now, as every log line's `ts` shows it: UTC, ISO 8601 with milliseconds ("…T12:34:56.789Z").
std::string timestamp();

void emit(Level level, std::string_view event,
          const nlohmann::json& fields = nlohmann::json::object());

inline void debug(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  if (enabled(Level::debug)) emit(Level::debug, event, fields);
}
inline void info(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  emit(Level::info, event, fields);
}
inline void warn(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  emit(Level::warn, event, fields);
}
inline void error(std::string_view event, const nlohmann::json& fields = nlohmann::json::object()) {
  emit(Level::error, event, fields);
}

// Lets one log line through per `interval` and counts what it suppressed, so a flood of bad
// packets costs a counter increment, not a line each. Owned by one thread.
class RateLimitedLog {
public:
  explicit RateLimitedLog(Duration interval = seconds(5)) : interval_(interval) {}
  // Returns true when the caller should log now; `suppressed()` then tells how many were skipped.
  bool allow(TimePoint now);
  std::uint64_t suppressed() const { return reported_suppressed_; }

private:
  Duration interval_;
  TimePoint last_{};
  bool logged_once_ = false;
  std::uint64_t suppressed_ = 0;
  std::uint64_t reported_suppressed_ = 0;
};

} // namespace wab::log
