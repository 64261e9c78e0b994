#include "srtp/srtp_library.hpp"

#include <srtp2/srtp.h>

#include <stdexcept>
#include <string>

namespace wab::srtp {

void srtp_library_global() {
  // A function-local static runs srtp_init() exactly once, even with several workers racing.
  // Never shut down: sessions may live until exit.
  static const srtp_err_status_t status = srtp_init();
  if (status != srtp_err_status_ok) {
    throw std::runtime_error("srtp_init failed: " + std::to_string(static_cast<int>(status)));
  }
}

} // namespace wab::srtp
