#pragma once
// Owning handles for the OpenSSL objects the tls layer creates.
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <memory>

namespace wab::tls {

struct SslCtxDeleter {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslDeleter {
  void operator()(SSL* p) const { SSL_free(p); }
};
struct BioDeleter {
  void operator()(BIO* p) const { BIO_free(p); }
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

} // namespace wab::tls
