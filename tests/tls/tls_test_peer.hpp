#pragma once
// Test-only: a self-signed identity and an in-memory OpenSSL TLS server for tls::ClientSession
// tests. Single thread.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "tls/openssl_handles.hpp"

namespace wab::tls::test {

struct KeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CertDeleter {
  void operator()(X509* p) const { X509_free(p); }
};

// A self-signed P-256 certificate whose only name is IP:127.0.0.1.
struct Identity {
  std::unique_ptr<EVP_PKEY, KeyDeleter> key{EVP_EC_gen("P-256")};
  std::unique_ptr<X509, CertDeleter> cert{X509_new()};
  Identity() {
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(::getpid()));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("wab test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    X509_add_ext(cert.get(), san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert.get(), key.get(), EVP_sha256());
  }
  // The certificate as a PEM file (removed by the caller).
  std::string write_pem(const std::string& tag) const {
    const auto path = std::filesystem::temp_directory_path() /
                      ("wab-tls-" + tag + "-" + std::to_string(::getpid()) + ".pem");
    FILE* f = std::fopen(path.c_str(), "w");
    PEM_write_X509(f, cert.get());
    std::fclose(f);
    return path.string();
  }
};

// The server side: an SSL on memory BIOs.
class Server {
public:
  explicit Server(const Identity& id) : ctx_(SSL_CTX_new(TLS_server_method())) {
    SSL_CTX_use_certificate(ctx_.get(), id.cert.get());
    SSL_CTX_use_PrivateKey(ctx_.get(), id.key.get());
    ssl_.reset(SSL_new(ctx_.get()));
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_.get(), in_, out_);
    SSL_set_accept_state(ssl_.get());
  }
  void feed(Bytes data) { BIO_write(in_, data.data(), static_cast<int>(data.size())); }
  // Runs the handshake/reads; returns what the server sends back and collects plaintext.
  std::vector<std::uint8_t> pump() {
    std::uint8_t buf[4096];
    int n;
    while ((n = SSL_read(ssl_.get(), buf, sizeof buf)) > 0)
      received.insert(received.end(), buf, buf + n);
    return drain();
  }
  std::vector<std::uint8_t> write(const std::string& text) {
    SSL_write(ssl_.get(), text.data(), static_cast<int>(text.size()));
    return drain();
  }
  std::vector<std::uint8_t> received;

private:
  std::vector<std::uint8_t> drain() {
    std::vector<std::uint8_t> out;
    std::uint8_t buf[4096];
    int n;
    while ((n = BIO_read(out_, buf, sizeof buf)) > 0)
      out.insert(out.end(), buf, buf + n);
    return out;
  }
  SslCtxPtr ctx_;
  SslPtr ssl_;
  BIO* in_ = nullptr;  // owned by ssl_
  BIO* out_ = nullptr; // owned by ssl_
};

} // namespace wab::tls::test
