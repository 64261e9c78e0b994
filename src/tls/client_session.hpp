#pragma once
// One TLS client connection, sans-I/O: the caller carries the ciphertext (TCP), this engine turns
// it into plaintext and back. OpenSSL runs over a BIO pair of fixed size, so after the handshake
// nothing is allocated per message. The server's certificate must chain to the context's trust
// anchors and name `host` (a DNS name, or an IP literal matched against IP SANs); a failure is
// reported with OpenSSL's verify reason, e.g. "certificate verify failed: self-signed
// certificate".
//
// Ownership and threads: owns its SSL and the network half of the BIO pair; shares the context.
// One thread. The Listener is owned by the caller, outlives the session and must not destroy it
// from a callback.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "tls/client_context.hpp"
#include "tls/openssl_handles.hpp"

namespace wab::tls {

class ClientSession {
public:
  enum class State { handshaking, open, closed, failed };

  struct Listener {
    virtual ~Listener() = default;
    // Ciphertext for the server; valid only during the call.
    virtual void on_tls_output(Bytes ciphertext) = 0;
    // The handshake finished and the certificate verified.
    virtual void on_tls_connected() = 0;
    // Plaintext from the server; valid only during the call, writable in place.
    virtual void on_tls_data(MutableBytes plaintext, TimePoint now) = 0;
    // The handshake or the connection failed, or the server closed it; called once.
    virtual void on_tls_failed(const std::string& cause) = 0;
  };

  // Throws std::runtime_error when OpenSSL cannot create the connection.
  ClientSession(std::shared_ptr<const ClientContext> context, Listener& listener,
                const std::string& host);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Sends the ClientHello.
  void start();
  // Ciphertext from the server.
  void feed(Bytes ciphertext, TimePoint now);
  // Plaintext for the server, sent at once when open; before that held (up to a few kB: the
  // first requests) and sent when the handshake completes. False when failed, closed or full.
  bool write(Bytes plaintext);
  // Sends close_notify; no callbacks follow. Idempotent.
  void close();

  State state() const { return state_; }

private:
  void drive(TimePoint now);
  void flush_output();
  bool write_now(Bytes plaintext);
  void fail(const std::string& cause);
  std::string error_cause(int ssl_error, const char* what) const;

  std::shared_ptr<const ClientContext> context_;
  Listener& listener_;
  SslPtr ssl_;
  BioPtr network_; // our half of the BIO pair; the SSL owns the other
  State state_ = State::handshaking;
  std::vector<std::uint8_t> pending_; // plaintext written before the handshake finished
  std::vector<std::uint8_t> out_buffer_;
  std::vector<std::uint8_t> in_buffer_;
};

} // namespace wab::tls
