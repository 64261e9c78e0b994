#pragma once
// Owning handles for the OpenSSL objects the SRTP transform keeps for a session's lifetime.
#include <openssl/evp.h>

#include <memory>

namespace wab::srtp {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};

using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

} // namespace wab::srtp
