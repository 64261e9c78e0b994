#include "tls/client_session.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <stdexcept>

namespace wab::tls {
namespace {

// Each direction of the BIO pair holds a full TLS record (16 kB + overhead); larger writes and
// reads go through in several rounds.
constexpr std::size_t kBioBytes = 20 * 1024;
constexpr std::size_t kPendingBytes = 8 * 1024;
constexpr std::size_t kPlaintextBytes = 16 * 1024; // one TLS record's worth per SSL_read

bool is_ip_literal(const std::string& host) {
  std::uint8_t buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

} // namespace

ClientSession::ClientSession(std::shared_ptr<const ClientContext> context, Listener& listener,
                             const std::string& host)
    : context_(std::move(context)), listener_(listener), out_buffer_(kBioBytes),
      in_buffer_(kPlaintextBytes) {
  pending_.reserve(kPendingBytes);
  ERR_clear_error();
  ssl_.reset(SSL_new(context_->native()));
  if (!ssl_) throw std::runtime_error("TLS: SSL_new failed");
  BIO* internal = nullptr;
  BIO* network = nullptr;
  if (BIO_new_bio_pair(&internal, kBioBytes, &network, kBioBytes) != 1) {
    throw std::runtime_error("TLS: BIO_new_bio_pair failed");
  }
  network_.reset(network);
  SSL_set_bio(ssl_.get(), internal, internal); // the SSL owns its half from here
  SSL_set_connect_state(ssl_.get());
  // The name the certificate must carry; SNI only for names (RFC 6066 forbids IP literals).
  bool named = false;
  if (is_ip_literal(host)) {
    named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), host.c_str()) == 1;
  } else {
    named = SSL_set1_host(ssl_.get(), host.c_str()) == 1 &&
            SSL_set_tlsext_host_name(ssl_.get(), host.c_str()) == 1;
  }
  if (!named) throw std::runtime_error("TLS: cannot set the expected host name " + host);
}

ClientSession::~ClientSession() = default;

void ClientSession::start() {
  drive(TimePoint{});
}

void ClientSession::feed(Bytes ciphertext, TimePoint now) {
  while (!ciphertext.empty() && (state_ == State::handshaking || state_ == State::open)) {
    const int n = BIO_write(network_.get(), ciphertext.data(),
                            static_cast<int>(std::min<std::size_t>(ciphertext.size(), kBioBytes)));
    if (n > 0) ciphertext = ciphertext.subspan(static_cast<std::size_t>(n));
    drive(now);
    // Nothing written and still no room after OpenSSL read: the pair is stuck (cannot happen
    // while drive() reads every record), so stop rather than spin.
    if (n <= 0 && BIO_ctrl_get_write_guarantee(network_.get()) == 0) {
      fail("input stalled");
      return;
    }
  }
}

void ClientSession::drive(TimePoint now) {
  ERR_clear_error();
  if (state_ == State::handshaking) {
    const int r = SSL_do_handshake(ssl_.get());
    if (r != 1) {
      const int error = SSL_get_error(ssl_.get(), r);
      flush_output(); // the ClientHello, or an alert
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        fail(error_cause(error, "handshake failed"));
      }
      return;
    }
    state_ = State::open;
    flush_output();
    listener_.on_tls_connected();
    if (state_ != State::open) return;
    if (!pending_.empty()) {
      const bool sent = write_now(pending_);
      pending_.clear();
      if (!sent) return;
    }
  }
  while (state_ == State::open) {
    const int n = SSL_read(ssl_.get(), in_buffer_.data(), static_cast<int>(in_buffer_.size()));
    if (n > 0) {
      listener_.on_tls_data(MutableBytes(in_buffer_.data(), static_cast<std::size_t>(n)), now);
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    flush_output(); // e.g. a key update's answer
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    if (error == SSL_ERROR_ZERO_RETURN) {
      fail("the server closed the TLS connection");
    } else {
      fail(error_cause(error, "receive failed"));
    }
    return;
  }
}

bool ClientSession::write(Bytes plaintext) {
  if (state_ == State::handshaking) {
    if (plaintext.size() > pending_.capacity() - pending_.size()) return false;
    pending_.insert(pending_.end(), plaintext.begin(), plaintext.end());
    return true;
  }
  if (state_ != State::open) return false;
  return write_now(plaintext);
}

bool ClientSession::write_now(Bytes plaintext) {
  if (plaintext.empty()) return true;
  ERR_clear_error();
  while (true) {
    const int n = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
    if (n > 0) {
      flush_output();
      return true;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_WRITE && BIO_ctrl_pending(network_.get()) > 0) {
      flush_output(); // a large write filled the pair: drain it and retry the same buffer
      continue;
    }
    fail(error_cause(error, "send failed"));
    return false;
  }
}

void ClientSession::flush_output() {
  while (BIO_ctrl_pending(network_.get()) > 0) {
    const int n =
        BIO_read(network_.get(), out_buffer_.data(), static_cast<int>(out_buffer_.size()));
    if (n <= 0) return;
    listener_.on_tls_output(Bytes(out_buffer_.data(), static_cast<std::size_t>(n)));
  }
}

void ClientSession::close() {
  if (state_ == State::open) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    flush_output();
  }
  if (state_ != State::failed) state_ = State::closed;
}

void ClientSession::fail(const std::string& cause) {
  if (state_ == State::failed || state_ == State::closed) return;
  state_ = State::failed;
  pending_.clear();
  ERR_clear_error();
  listener_.on_tls_failed(cause);
}

std::string ClientSession::error_cause(int ssl_error, const char* what) const {
  const long verify = SSL_get_verify_result(ssl_.get());
  if (verify != X509_V_OK) {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
  }
  std::string cause = what;
  if (const unsigned long code = ERR_peek_error(); code != 0) {
    const char* reason = ERR_reason_error_string(code);
    cause += ": ";
    cause += reason != nullptr ? reason : "unknown reason";
  } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_SSL) {
    cause += ": protocol error";
  }
  return cause;
}

} // namespace wab::tls
