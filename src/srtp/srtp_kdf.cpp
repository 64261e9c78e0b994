#include "srtp/srtp_kdf.hpp"

#include "srtp/openssl_handles.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <stdexcept>

namespace wab::srtp {

SessionKeys::~SessionKeys() {
  OPENSSL_cleanse(this, sizeof *this);
}

void srtp_kdf(const std::uint8_t* master_key, const std::uint8_t* master_salt,
              std::size_t master_salt_len, KdfLabel label, std::uint8_t* out, std::size_t out_len) {
  if (master_salt_len > 14 || out_len > 32) throw std::runtime_error("SRTP KDF: bad lengths");
  // x = key_id XOR master_salt, key_id = label || r with r = 0 (no rekeying): the label lands
  // in byte 7 of the 14-byte salt. The counter fills the two low bytes of the IV.
  std::uint8_t iv[16] = {};
  std::memcpy(iv, master_salt, master_salt_len);
  iv[7] ^= static_cast<std::uint8_t>(label);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  std::uint8_t zeros[32] = {};
  int written = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, master_key, iv) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &written, zeros, static_cast<int>(out_len)) != 1 ||
      written != static_cast<int>(out_len)) {
    throw std::runtime_error("SRTP KDF: AES-CM failed");
  }
}

SessionKeys derive_session_keys(const std::uint8_t* master_key, const std::uint8_t* master_salt,
                                std::size_t master_salt_len) {
  SessionKeys k;
  const std::size_t salt_len = master_salt_len; // session salt as long as the master salt
  srtp_kdf(master_key, master_salt, master_salt_len, KdfLabel::kRtpEncryption, k.rtp_key.data(),
           k.rtp_key.size());
  srtp_kdf(master_key, master_salt, master_salt_len, KdfLabel::kRtpAuth, k.rtp_auth.data(),
           k.rtp_auth.size());
  srtp_kdf(master_key, master_salt, master_salt_len, KdfLabel::kRtpSalt, k.rtp_salt.data(),
           salt_len);
  srtp_kdf(master_key, master_salt, master_salt_len, KdfLabel::kRtcpEncryption, k.rtcp_key.data(),
           k.rtcp_key.size());
  srtp_kdf(master_key, master_salt, master_salt_len, KdfLabel::kRtcpAuth, k.rtcp_auth.data(),
           k.rtcp_auth.size());
  srtp_kdf(master_key, master_salt, master_salt_len, KdfLabel::kRtcpSalt, k.rtcp_salt.data(),
           salt_len);
  return k;
}

} // namespace wab::srtp
