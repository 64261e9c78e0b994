#include "tls/client_context.hpp"

#include <openssl/err.h>

#include <stdexcept>

namespace wab::tls {
namespace {

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

} // namespace

ClientContext::ClientContext(const std::string& ca_file) : ca_file_(ca_file) {
  ERR_clear_error();
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (!ctx_) throw std::runtime_error("TLS context: " + openssl_reason());
  SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx_.get())
                         : SSL_CTX_load_verify_locations(ctx_.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    const std::string what = ca_file.empty() ? std::string("the system trust store") : ca_file;
    throw std::runtime_error("TLS: cannot load " + what + ": " + openssl_reason());
  }
  // Sessions are short and few: no cache, no tickets to keep.
  SSL_CTX_set_session_cache_mode(ctx_.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx_.get(), SSL_OP_NO_TICKET);
}

} // namespace wab::tls
