#pragma once
// Server-sent events (the WHATWG "text/event-stream" format): the framing of one event for a
// ResponseStream. Pure functions; any thread.
#include <string>
#include <string_view>

namespace wab::http {

// "event: <name>\ndata: <line>\n...\n\n". Every line of `data` (split at CR LF, LF or CR) becomes
// its own data field, so the client rebuilds `data` with LF line ends. CR and LF are removed from
// `name` (they would end the field early); an empty name means the default "message" event.
std::string sse_event(std::string_view name, std::string_view data);

// ": <text>\n\n": a comment line clients ignore, e.g. to keep idle proxies from closing the
// stream. Line breaks in `text` become spaces.
std::string sse_comment(std::string_view text);

// "retry: <ms>\n\n": how long the client waits before reconnecting after the stream ends.
std::string sse_retry(unsigned milliseconds);

} // namespace wab::http
