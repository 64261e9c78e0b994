#pragma once
// The dashboard's single page (src/app/dashboard.html, compiled in by CMake): inline CSS and
// script, nothing loaded from elsewhere.
#include <string_view>

namespace wab::app {

std::string_view dashboard_page();

} // namespace wab::app
