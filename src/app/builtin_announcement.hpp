#pragma once
// The Ogg Opus recording played by FALLBACK=announce when FALLBACK_ANNOUNCEMENT names no file:
// "We are sorry. Our assistant is not available right now. Please call again later. Goodbye."
// (assets/announcements/, compiled in by CMake).
#include "common/bytes.hpp"

namespace wab::app {

Bytes builtin_announcement();

} // namespace wab::app
