#include "dtls/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include <regex>

namespace wab::dtls {
namespace {

X509Ptr decode(Bytes der) {
  const unsigned char* p = der.data();
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

TEST(Certificate, FingerprintIsUpperCaseColonSeparatedSha256OfTheDer) {
  Certificate cert;
  EXPECT_TRUE(
      std::regex_match(cert.fingerprint_sha256(), std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")));
  EXPECT_EQ(cert.fingerprint_sha256(),
            compute_fingerprint(cert.der(), HashAlgorithm::kSha256).hex());
  EXPECT_EQ(cert.fingerprint().to_sdp(), "sha-256 " + cert.fingerprint_sha256());
  EXPECT_EQ(cert.fingerprint(HashAlgorithm::kSha512).digest().size(), 64u);
}

TEST(Certificate, IsSelfSignedEcdsaP256ForWabridgeValidFromYesterdayFor30Days) {
  Certificate cert;
  X509Ptr x509 = decode(cert.der());
  ASSERT_TRUE(x509);

  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x509.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "wabridge");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x509.get()), X509_get_issuer_name(x509.get())), 0);

  EVP_PKEY* key = X509_get0_pubkey(x509.get());
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  char group[32] = {};
  size_t group_length = 0;
  EXPECT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, &group_length), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_verify(x509.get(), key), 1); // signed by its own key

  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notBefore(x509.get())), 1);
  EXPECT_EQ(days, -1); // "from" is now minus 24 h (seconds part may round)
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x509.get())), 1);
  EXPECT_TRUE(days == 29 || days == 30) << days;
}

TEST(Certificate, EachHasItsOwnKeyAndSerial) {
  Certificate a;
  Certificate b;
  EXPECT_NE(a.fingerprint_sha256(), b.fingerprint_sha256());
  X509Ptr xa = decode(a.der());
  X509Ptr xb = decode(b.der());
  ASSERT_TRUE(xa && xb);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa.get()), X509_get0_serialNumber(xb.get())),
            0);
}

TEST(Certificate, GlobalIsOneInstance) {
  EXPECT_EQ(&Certificate::global(), &Certificate::global());
  EXPECT_FALSE(Certificate::global().fingerprint_sha256().empty());
}

TEST(Certificate, SharesOneContextPerProfileOffer) {
  Certificate cert;
  SSL_CTX* both = cert.ssl_context(SrtpProfileOffer::kGcmAndCm);
  EXPECT_NE(both, nullptr);
  EXPECT_EQ(both, cert.ssl_context(SrtpProfileOffer::kGcmAndCm));
  EXPECT_NE(both, cert.ssl_context(SrtpProfileOffer::kGcmOnly));
  EXPECT_NE(both, cert.ssl_context(SrtpProfileOffer::kCmOnly));
}

} // namespace
} // namespace wab::dtls
