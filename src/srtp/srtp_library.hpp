#pragma once
// libsrtp's process-wide initialisation. libsrtp keeps a global crypto kernel that srtp_init()
// builds and that is not safe to build twice or concurrently; this is the one place that does it.
namespace wab::srtp {

// Initialises libsrtp on first call (thread-safe, idempotent). Throws std::runtime_error if
// libsrtp refuses. SrtpSession calls it; nothing else needs to.
void srtp_library_global();

} // namespace wab::srtp
