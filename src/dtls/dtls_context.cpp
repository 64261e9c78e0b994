#include "dtls/dtls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <stdexcept>
#include <string>

namespace wab::dtls {
namespace {

// Forward secrecy only; ECDSA suites first (our certificate is ECDSA), RSA ones for peers with RSA
// certificates when we are the client.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA";

const char* srtp_profile_list(SrtpProfileOffer offer) {
  switch (offer) {
  case SrtpProfileOffer::kGcmAndCm: return "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
  case SrtpProfileOffer::kGcmOnly: return "SRTP_AEAD_AES_128_GCM";
  case SrtpProfileOffer::kCmOnly: return "SRTP_AES128_CM_SHA1_80";
  }
  return "";
}

// Replaces chain building: WebRTC certificates are self-signed and authenticated by the
// fingerprint in the SDP, so the only question is whether the leaf matches it.
int verify_certificate(X509_STORE_CTX* store, void* /*arg*/) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (ssl == nullptr || leaf == nullptr) return 0;
  if (verify_peer_certificate(ssl, leaf)) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

[[noreturn]] void fail_context(const char* what) {
  ERR_clear_error();
  throw std::runtime_error(std::string("DTLS context: ") + what);
}

} // namespace

SslCtxPtr make_dtls_context(X509* certificate, EVP_PKEY* key, SrtpProfileOffer offer) {
  SslCtxPtr ctx(SSL_CTX_new(DTLS_method()));
  if (!ctx) fail_context("SSL_CTX_new");
  if (SSL_CTX_set_min_proto_version(ctx.get(), DTLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), DTLS1_2_VERSION) != 1) {
    fail_context("protocol version");
  }
  if (SSL_CTX_use_certificate(ctx.get(), certificate) != 1) fail_context("use_certificate");
  if (SSL_CTX_use_PrivateKey(ctx.get(), key) != 1) fail_context("use_PrivateKey");
  if (SSL_CTX_check_private_key(ctx.get()) != 1) fail_context("check_private_key");
  if (SSL_CTX_set_cipher_list(ctx.get(), kCipherList) != 1) fail_context("cipher list");
  // OpenSSL 3 picks ECDH groups automatically; name them so both X25519 and P-256 are offered.
  if (SSL_CTX_set1_groups_list(ctx.get(), "X25519:P-256:P-384") != 1) fail_context("groups");
  // Returns 0 on success (unlike most of the API).
  if (SSL_CTX_set_tlsext_use_srtp(ctx.get(), srtp_profile_list(offer)) != 0)
    fail_context("use_srtp");

  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  // The ~18 KiB read buffer of each connection is handed back whenever no record is pending
  // (an idle data channel is the normal state of a leg) and taken again by the next datagram.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // The server asks for the client's certificate; both sides insist on getting one.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx.get(), verify_certificate, nullptr);
  return ctx;
}

} // namespace wab::dtls
