#pragma once
// The one process-wide place of this layer: libcurl's global initialisation. curl_global_init is
// not thread-safe and must run once before any other curl call; every Client calls curl_global()
// in its constructor, which initialises exactly once (std::call_once) and never cleans up (the
// process exit does). Any thread.
namespace wab::http {

// Throws std::runtime_error if libcurl cannot initialise (then every later call throws too).
void curl_global();

} // namespace wab::http
