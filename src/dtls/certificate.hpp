#pragma once
// Our DTLS identity: an ECDSA P-256 key and a self-signed X.509 certificate (CN "wabridge",
// random serial, valid from yesterday to +30 days), plus the SSL_CTXs every DtlsTransport using
// it shares — creating an SSL_CTX per connection would cost more than the handshake itself.
//
// Owns: the key, the certificate, one SSL_CTX per SrtpProfileOffer. Immutable after
// construction, so any thread may use it; OpenSSL reference-counts the contexts internally.
#include "dtls/fingerprint.hpp"
#include "dtls/openssl_handles.hpp"
#include "dtls/srtp_keying_material.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace wab::dtls {

class Certificate {
public:
  // Generates a fresh key and certificate. Throws std::runtime_error if OpenSSL fails.
  Certificate();
  ~Certificate();
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;

  // The process-wide certificate (created on first use, thread-safe). Every leg presents it; the
  // SDP carries its fingerprint. It lives until exit; a process running past 30 days keeps an
  // expired certificate, which WebRTC peers do not check (they pin the fingerprint instead).
  static const Certificate& global();

  // "AB:CD:..." — SHA-256 of the DER encoding, upper-case hex, colon separated.
  const std::string& fingerprint_sha256() const { return fingerprint_sha256_hex_; }
  // Any algorithm (sha-256 is the only one WhatsApp accepts in SDP).
  Fingerprint fingerprint(HashAlgorithm algorithm = HashAlgorithm::kSha256) const;
  Bytes der() const { return der_; }

  // The shared context for transports offering `offer`. Valid as long as this Certificate.
  SSL_CTX* ssl_context(SrtpProfileOffer offer) const;

private:
  EvpPkeyPtr key_;
  X509Ptr x509_;
  std::vector<std::uint8_t> der_;
  std::string fingerprint_sha256_hex_;
  std::array<SslCtxPtr, 3> contexts_; // indexed by SrtpProfileOffer
};

} // namespace wab::dtls
