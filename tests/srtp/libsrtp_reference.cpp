#include "libsrtp_reference.hpp"

#include <srtp2/srtp.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace wab::srtp::testing {
namespace {

void init_once() {
  static const srtp_err_status_t status = srtp_init();
  if (status != srtp_err_status_ok) throw std::runtime_error("srtp_init failed");
}

srtp_t create(SrtpProfile profile, const std::uint8_t* key, const std::uint8_t* salt,
              std::size_t salt_len, bool outbound, std::size_t window) {
  std::uint8_t master[dtls::kMaxSrtpMasterKeyLength + dtls::kMaxSrtpMasterSaltLength] = {};
  std::memcpy(master, key, 16);
  std::memcpy(master + 16, salt, salt_len);
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
  policy.key = master;
  policy.window_size = window;
  policy.allow_repeat_tx = outbound ? 1 : 0;
  srtp_t ctx = nullptr;
  if (srtp_create(&ctx, &policy) != srtp_err_status_ok) throw std::runtime_error("srtp_create");
  return ctx;
}

template <typename F> int call(F f, srtp_t ctx, std::uint8_t* buf, std::size_t& len) {
  int n = static_cast<int>(len);
  const int status = f(ctx, buf, &n);
  if (status == srtp_err_status_ok) len = static_cast<std::size_t>(n);
  return status;
}

} // namespace

void LibsrtpSession::Deleter::operator()(srtp_ctx_t_* p) const {
  srtp_dealloc(p);
}

LibsrtpSession::LibsrtpSession(const SrtpKeyingMaterial& keys, std::size_t replay_window) {
  init_once();
  outbound_.reset(create(keys.profile, keys.local_key.data(), keys.local_salt.data(),
                         keys.salt_length(), true, replay_window));
  inbound_.reset(create(keys.profile, keys.remote_key.data(), keys.remote_salt.data(),
                        keys.salt_length(), false, replay_window));
}

LibsrtpSession::~LibsrtpSession() = default;

int LibsrtpSession::protect_rtp(std::uint8_t* buf, std::size_t& len) {
  return call([](srtp_t c, std::uint8_t* b, int* n) { return srtp_protect(c, b, n); },
              outbound_.get(), buf, len);
}
int LibsrtpSession::protect_rtcp(std::uint8_t* buf, std::size_t& len) {
  return call([](srtp_t c, std::uint8_t* b, int* n) { return srtp_protect_rtcp(c, b, n); },
              outbound_.get(), buf, len);
}
int LibsrtpSession::unprotect_rtp(std::uint8_t* buf, std::size_t& len) {
  return call([](srtp_t c, std::uint8_t* b, int* n) { return srtp_unprotect(c, b, n); },
              inbound_.get(), buf, len);
}
int LibsrtpSession::unprotect_rtcp(std::uint8_t* buf, std::size_t& len) {
  return call([](srtp_t c, std::uint8_t* b, int* n) { return srtp_unprotect_rtcp(c, b, n); },
              inbound_.get(), buf, len);
}

} // namespace wab::srtp::testing
