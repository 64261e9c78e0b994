#pragma once
// The softphone's single page (src/app/softphone.html, compiled in by CMake): inline CSS and
// script, nothing loaded from elsewhere.
#include <string_view>

namespace wab::app {

std::string_view softphone_page();

} // namespace wab::app
