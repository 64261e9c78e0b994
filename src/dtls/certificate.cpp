#include "dtls/certificate.hpp"

#include "common/random.hpp"
#include "dtls/dtls_context.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <stdexcept>
#include <string>

namespace wab::dtls {
namespace {

struct BignumDeleter {
  void operator()(BIGNUM* p) const { BN_free(p); }
};

[[noreturn]] void fail(const char* what) {
  ERR_clear_error();
  throw std::runtime_error(std::string("DTLS certificate: ") + what);
}

void set_random_serial(X509* x509) {
  // 63 random bits: positive, non-zero in practice, and unique enough that two restarts never
  // present the same serial to a peer that caches certificates.
  std::uint8_t bytes[8];
  random_bytes(bytes);
  bytes[0] &= 0x7f;
  bytes[7] |= 0x01;
  std::unique_ptr<BIGNUM, BignumDeleter> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x509)) == nullptr) {
    fail("serial");
  }
}

} // namespace

Certificate::Certificate() {
  key_.reset(EVP_EC_gen("P-256"));
  if (!key_) fail("EC key generation");

  x509_.reset(X509_new());
  if (!x509_) fail("X509_new");
  if (X509_set_version(x509_.get(), 2) != 1) fail("version"); // X.509 v3
  set_random_serial(x509_.get());
  // From yesterday: a peer whose clock is behind must not see a certificate from the future.
  constexpr long kDay = 24L * 60 * 60;
  if (X509_gmtime_adj(X509_getm_notBefore(x509_.get()), -kDay) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(x509_.get()), 30 * kDay) == nullptr) {
    fail("validity");
  }
  X509_NAME* name = X509_get_subject_name(x509_.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("wabridge"), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(x509_.get(), name) != 1) {
    fail("name");
  }
  if (X509_set_pubkey(x509_.get(), key_.get()) != 1) fail("public key");
  if (X509_sign(x509_.get(), key_.get(), EVP_sha256()) == 0) fail("sign");

  const int der_length = i2d_X509(x509_.get(), nullptr);
  if (der_length <= 0) fail("DER length");
  der_.resize(static_cast<std::size_t>(der_length));
  unsigned char* out = der_.data();
  if (i2d_X509(x509_.get(), &out) != der_length) fail("DER encoding");
  fingerprint_sha256_hex_ = compute_fingerprint(der_, HashAlgorithm::kSha256).hex();

  for (SrtpProfileOffer offer :
       {SrtpProfileOffer::kGcmAndCm, SrtpProfileOffer::kGcmOnly, SrtpProfileOffer::kCmOnly}) {
    contexts_[static_cast<std::size_t>(offer)] = make_dtls_context(x509_.get(), key_.get(), offer);
  }
}

Certificate::~Certificate() = default;

const Certificate& Certificate::global() {
  // The one process-wide certificate: a function-local static, so creation is thread-safe.
  static const Certificate certificate;
  return certificate;
}

Fingerprint Certificate::fingerprint(HashAlgorithm algorithm) const {
  return compute_fingerprint(der_, algorithm);
}

SSL_CTX* Certificate::ssl_context(SrtpProfileOffer offer) const {
  return contexts_[static_cast<std::size_t>(offer)].get();
}

} // namespace wab::dtls
