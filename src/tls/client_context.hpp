#pragma once
// The TLS client settings shared by every connection to one kind of server (TURN over TLS,
// `turns:`): TLS 1.2 or later, the server's certificate verified against a CA file or, without
// one, the system trust store. The host name is checked per connection (ClientSession).
//
// Owns its SSL_CTX. Immutable after construction, so any thread may create sessions from it
// (OpenSSL reference-counts the context); share it with std::shared_ptr.
#include <string>

#include "tls/openssl_handles.hpp"

namespace wab::tls {

class ClientContext {
public:
  // `ca_file`: PEM certificates to trust; empty means the system's default store. Throws
  // std::runtime_error (with OpenSSL's reason) when the context or the file cannot be loaded.
  explicit ClientContext(const std::string& ca_file);

  SSL_CTX* native() const { return ctx_.get(); }
  const std::string& ca_file() const { return ca_file_; }

private:
  std::string ca_file_;
  SslCtxPtr ctx_;
};

} // namespace wab::tls
