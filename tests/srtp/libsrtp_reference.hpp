#pragma once
// libsrtp as an independent reference for the cross-check tests only: the same API shape as
// SrtpSession (outbound context keyed with local keys, inbound with remote, any SSRC), so a
// packet protected by one can be unprotected by the other. Not used by wabridge.
#include "srtp/srtp_session.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

struct srtp_ctx_t_;

namespace wab::srtp::testing {

class LibsrtpSession {
public:
  explicit LibsrtpSession(const SrtpKeyingMaterial& keys, std::size_t replay_window = 1024);
  ~LibsrtpSession();
  LibsrtpSession(const LibsrtpSession&) = delete;
  LibsrtpSession& operator=(const LibsrtpSession&) = delete;

  // libsrtp's status code: 0 is success, 7 an authentication failure, 9/10 replays.
  int protect_rtp(std::uint8_t* buf, std::size_t& len);
  int protect_rtcp(std::uint8_t* buf, std::size_t& len);
  int unprotect_rtp(std::uint8_t* buf, std::size_t& len);
  int unprotect_rtcp(std::uint8_t* buf, std::size_t& len);

private:
  struct Deleter {
    void operator()(srtp_ctx_t_* p) const;
  };
  std::unique_ptr<srtp_ctx_t_, Deleter> outbound_;
  std::unique_ptr<srtp_ctx_t_, Deleter> inbound_;
};

} // namespace wab::srtp::testing
