#pragma once
// One DTLS 1.2 association (RFC 6347) for one WebRTC leg, sans-I/O: datagrams in through
// handle_datagram(), datagrams out through Listener::on_dtls_send(). Negotiates DTLS-SRTP
// (RFC 5764) and exports the SRTP keys; carries SCTP as application data.
//
// Peer authentication is WebRTC's: any (self-signed) certificate is accepted whose fingerprint
// equals the one the remote SDP announced; anything else fails the handshake with a
// bad_certificate alert and on_dtls_failed("remote certificate fingerprint mismatch ...").
//
// Timers: OpenSSL keeps its retransmission timer on the real clock internally. next_timeout()
// reports it relative to the `now` of the last call, and handle_timeout() lets OpenSSL decide
// whether it has really expired, so a caller whose `now` runs ahead of the wall clock sees at
// most an early wake-up, never an early retransmission. The handshake deadline is on `now`.
//
// Owns: its SSL (and the BIO inside it). Shares the Certificate's SSL_CTX. Single thread: the
// worker that owns the leg. The Listener outlives the transport and must not destroy it from a
// callback; it may call send_application_data() or close() from one.
#include "common/bytes.hpp"
#include "common/clock.hpp"
#include "dtls/certificate.hpp"
#include "dtls/datagram_bio.hpp"
#include "dtls/fingerprint.hpp"
#include "dtls/openssl_handles.hpp"
#include "dtls/srtp_keying_material.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wab::dtls {

enum class DtlsRole : std::uint8_t { kClient, kServer }; // SDP a=setup:active is the client
enum class DtlsState : std::uint8_t { kNew, kConnecting, kConnected, kClosed, kFailed };

std::string_view dtls_state_name(DtlsState state);

struct DtlsConfig {
  SrtpProfileOffer srtp_profiles = SrtpProfileOffer::kGcmAndCm;
  // Largest datagram we send (UDP payload); 1200 stays clear of IP fragmentation on any path.
  std::size_t mtu = 1200;
  // Handshake retransmission: first timeout, doubled after each expiry up to the maximum.
  // OpenSSL's default is 1 s; a lost first flight then costs a second of call audio.
  Duration initial_retransmit_timeout = milliseconds(400);
  Duration max_retransmit_timeout = seconds(4);
  // From start() to connected; past it the transport fails.
  Duration handshake_timeout = seconds(30);
};

struct DtlsCounters {
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_ignored = 0; // arrived before start-up or after the end
  std::uint64_t retransmissions = 0;   // timer expiries that resent a flight
  std::uint64_t application_records_received = 0;
  std::uint64_t application_send_failures = 0;
};

class DtlsTransport {
public:
  using Role = DtlsRole;
  using State = DtlsState;

  class Listener {
  public:
    virtual ~Listener() = default;
    // One datagram to send to the peer (the span is valid only during the call).
    virtual void on_dtls_send(Bytes datagram) = 0;
    // The handshake finished, the peer's fingerprint matched and SRTP keys were exported.
    virtual void on_dtls_connected(const SrtpKeyingMaterial& keys) = 0;
    // A decrypted application-data record (SCTP packets ride here); valid only during the call.
    virtual void on_dtls_application_data(Bytes data) = 0;
    // The peer sent close_notify. We answered with ours; the transport is closed.
    virtual void on_dtls_closed() = 0;
    // Handshake error, fingerprint mismatch, fatal alert, or timeout. The transport is finished.
    virtual void on_dtls_failed(std::string reason) = 0;
  };

  // Throws std::runtime_error if OpenSSL cannot create the connection, std::invalid_argument if
  // the MTU is unusable. `certificate` must outlive the transport.
  DtlsTransport(Listener& listener, const Certificate& certificate, DtlsRole role,
                Fingerprint expected_remote, DtlsConfig config = {});
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Client: sends the ClientHello. Server: starts the handshake clock and waits. A server that
  // receives a datagram before start() starts then.
  void start(TimePoint now);

  // One UDP payload whose first byte is 20–63 (RFC 7983). Returns false if the transport was not
  // running or failed while handling it; records OpenSSL rejects are dropped silently (RFC 6347
  // §4.1.2.7), which still returns true.
  bool handle_datagram(Bytes datagram, TimePoint now);

  // One application-data record (an SCTP packet) of at most `mtu` bytes (512 if the MTU is
  // smaller, 16384 if larger). Only when connected;
  // false otherwise, when larger, or if OpenSSL refuses it.
  bool send_application_data(Bytes data);

  // Sends close_notify and closes. No callback follows.
  void close();

  std::optional<TimePoint> next_timeout() const;
  void handle_timeout(TimePoint now);

  DtlsState state() const { return state_; }
  DtlsRole role() const { return role_; }
  // Set once connected.
  std::optional<SrtpProfile> srtp_profile() const { return srtp_profile_; }
  const DtlsCounters& counters() const { return counters_; }

private:
  friend bool verify_peer_certificate(SSL* ssl, X509* peer_leaf); // dtls_context.hpp

  bool check_peer_certificate(X509* leaf);
  void drive_handshake();
  void finish_handshake();
  void read_application_data();
  void flush_output();
  void release_handshake_memory();
  void update_retransmit_deadline(TimePoint now);
  void fail(std::string reason);
  std::string openssl_failure(const char* during);
  static unsigned int retransmit_timer(SSL* ssl, unsigned int previous_us);

  Listener& listener_;
  const DtlsRole role_;
  const Fingerprint expected_remote_;
  const DtlsConfig config_;
  DtlsState state_ = DtlsState::kNew;

  DatagramQueue queue_;
  std::vector<std::uint8_t> sending_;
  std::vector<DatagramQueue::RecordEnd> sending_records_;
  bool flushing_ = false;
  SslPtr ssl_; // declared after queue_: destroyed first, so its BIO never sees a dead queue

  TimePoint handshake_deadline_{};
  std::optional<TimePoint> retransmit_deadline_;
  bool fingerprint_mismatch_ = false;
  std::string mismatch_detail_;
  std::optional<SrtpProfile> srtp_profile_;
  DtlsCounters counters_;
};

} // namespace wab::dtls
