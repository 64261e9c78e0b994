#include "srtp/srtp_session.hpp"

#include "srtp/srtp_library.hpp"

#include <srtp2/srtp.h>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

namespace wab::srtp {
namespace {

static_assert(kMaxTrailer == SRTP_MAX_TRAILER_LEN + 4, "kMaxTrailer follows libsrtp's contract");

constexpr std::size_t kRtpHeader = 12;
constexpr std::size_t kRtcpHeader = 8;

// Master key followed by master salt, the layout libsrtp takes.
struct MasterKey {
  std::uint8_t bytes[dtls::kMaxSrtpMasterKeyLength + dtls::kMaxSrtpMasterSaltLength];
  ~MasterKey() { std::memset(bytes, 0, sizeof bytes); } // best effort; not on the packet path
};

srtp_t create_context(SrtpProfile profile, const std::uint8_t* key, std::size_t key_length,
                      const std::uint8_t* salt, std::size_t salt_length, bool outbound,
                      const SrtpConfig& config) {
  MasterKey master;
  std::memcpy(master.bytes, key, key_length);
  std::memcpy(master.bytes + key_length, salt, salt_length);

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  if (profile == SrtpProfile::kAeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = master.bytes;
  policy.window_size = config.replay_window;
  policy.allow_repeat_tx = outbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t context = nullptr;
  const srtp_err_status_t status = srtp_create(&context, &policy);
  if (status != srtp_err_status_ok) {
    throw std::runtime_error("srtp_create failed: " + std::to_string(static_cast<int>(status)));
  }
  return context;
}

} // namespace

void SrtpSession::SrtpDeleter::operator()(srtp_ctx_t_* p) const {
  srtp_dealloc(p);
}

SrtpSession::SrtpSession(const SrtpKeyingMaterial& keys, SrtpConfig config)
    : profile_(keys.profile) {
  srtp_library_global();
  if (config.replay_window < 64 || config.replay_window >= 0x8000) {
    throw std::runtime_error("SRTP replay window must be in [64, 32768)");
  }
  outbound_.reset(create_context(keys.profile, keys.local_key.data(), keys.key_length(),
                                 keys.local_salt.data(), keys.salt_length(), true, config));
  inbound_.reset(create_context(keys.profile, keys.remote_key.data(), keys.key_length(),
                                keys.remote_salt.data(), keys.salt_length(), false, config));
}

SrtpSession::~SrtpSession() = default;

bool SrtpSession::protect_rtp(std::uint8_t* buf, std::size_t& len, std::size_t capacity) {
  if (len < kRtpHeader || capacity < len + kMaxTrailer || capacity > INT_MAX) {
    ++counters_.protect_failures;
    return false;
  }
  int length = static_cast<int>(len);
  if (srtp_protect(outbound_.get(), buf, &length) != srtp_err_status_ok) {
    ++counters_.protect_failures;
    return false;
  }
  len = static_cast<std::size_t>(length);
  return true;
}

bool SrtpSession::protect_rtcp(std::uint8_t* buf, std::size_t& len, std::size_t capacity) {
  if (len < kRtcpHeader || capacity < len + kMaxTrailer || capacity > INT_MAX) {
    ++counters_.protect_failures;
    return false;
  }
  int length = static_cast<int>(len);
  if (srtp_protect_rtcp(outbound_.get(), buf, &length) != srtp_err_status_ok) {
    ++counters_.protect_failures;
    return false;
  }
  len = static_cast<std::size_t>(length);
  return true;
}

bool SrtpSession::unprotect_rtp(std::uint8_t* buf, std::size_t& len) {
  if (len < kRtpHeader + srtp_overhead(profile_, false) || len > INT_MAX) {
    ++counters_.too_short;
    return false;
  }
  int length = static_cast<int>(len);
  const srtp_err_status_t status = srtp_unprotect(inbound_.get(), buf, &length);
  if (status != srtp_err_status_ok) return count_unprotect_failure(status);
  len = static_cast<std::size_t>(length);
  return true;
}

bool SrtpSession::unprotect_rtcp(std::uint8_t* buf, std::size_t& len) {
  if (len < kRtcpHeader + srtp_overhead(profile_, true) || len > INT_MAX) {
    ++counters_.too_short;
    return false;
  }
  int length = static_cast<int>(len);
  const srtp_err_status_t status = srtp_unprotect_rtcp(inbound_.get(), buf, &length);
  if (status != srtp_err_status_ok) return count_unprotect_failure(status);
  len = static_cast<std::size_t>(length);
  return true;
}

bool SrtpSession::count_unprotect_failure(int status) {
  switch (status) {
  case srtp_err_status_auth_fail: ++counters_.auth_failures; break;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old: ++counters_.replays; break;
  case srtp_err_status_bad_param: ++counters_.too_short; break; // malformed header lengths
  default: ++counters_.other_failures; break;
  }
  return false;
}

} // namespace wab::srtp
