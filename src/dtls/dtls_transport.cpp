#include "dtls/dtls_transport.hpp"

#include "dtls/dtls_context.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace wab::dtls {
namespace {

constexpr std::size_t kMaxRecordPlaintext = 16384;       // 2^14, RFC 6347 / RFC 5246 §6.2.1
constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp"; // RFC 5764 §4.2

std::uint64_t to_microseconds(Duration d) {
  return static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, std::chrono::duration_cast<microseconds>(d).count()));
}

// What ERR_* says about the failure that just happened, then an empty queue for the next call.
std::string drain_openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// OpenSSL accepts send fragments of 512 bytes to 2^14.
std::size_t max_application_record(const DtlsConfig& config) {
  return std::clamp<std::size_t>(config.mtu, 512, kMaxRecordPlaintext);
}

} // namespace

std::string_view dtls_state_name(DtlsState state) {
  switch (state) {
  case DtlsState::kNew: return "new";
  case DtlsState::kConnecting: return "connecting";
  case DtlsState::kConnected: return "connected";
  case DtlsState::kClosed: return "closed";
  case DtlsState::kFailed: return "failed";
  }
  return "unknown";
}

bool verify_peer_certificate(SSL* ssl, X509* peer_leaf) {
  auto* transport = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  return transport != nullptr && transport->check_peer_certificate(peer_leaf);
}

DtlsTransport::DtlsTransport(Listener& listener, const Certificate& certificate, DtlsRole role,
                             Fingerprint expected_remote, DtlsConfig config)
    : listener_(listener), role_(role), expected_remote_(std::move(expected_remote)),
      config_(config) {
  if (config_.mtu < 256 || config_.mtu > 65507) {
    throw std::invalid_argument("DTLS MTU must be between 256 and 65507");
  }
  // The output buffers grow to the largest flight during the handshake and are trimmed once
  // connected (release_handshake_memory), so nothing is reserved up front.

  ssl_.reset(SSL_new(certificate.ssl_context(config_.srtp_profiles)));
  if (!ssl_) throw std::runtime_error("DTLS: SSL_new failed: " + drain_openssl_errors());
  SSL_set_app_data(ssl_.get(), this);
  BIO* bio = make_datagram_bio(&queue_);
  SSL_set_bio(ssl_.get(), bio, bio); // one BIO for both directions; the SSL owns it
  SSL_set_mtu(ssl_.get(), static_cast<long>(config_.mtu));
  // OpenSSL sizes its write buffer (kept for the connection's life) by the largest record it
  // may send: ~17 KiB by default. Our records are at most one datagram, so the buffer can be too.
  // Set before the handshake, which allocates the buffer.
  SSL_set_max_send_fragment(ssl_.get(), static_cast<long>(max_application_record(config_)));
  DTLS_set_timer_cb(ssl_.get(), &DtlsTransport::retransmit_timer);
  if (role_ == DtlsRole::kClient) {
    SSL_set_connect_state(ssl_.get());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
}

DtlsTransport::~DtlsTransport() = default;

unsigned int DtlsTransport::retransmit_timer(SSL* ssl, unsigned int previous_us) {
  // OpenSSL asks with 0 when a flight starts its timer and with the last value when the timer
  // expired and it resent the flight — from DTLSv1_handle_timeout, or from inside a read once
  // the wall-clock deadline has passed — so this is where retransmissions are counted.
  auto* self = static_cast<DtlsTransport*>(SSL_get_app_data(ssl));
  if (previous_us != 0) ++self->counters_.retransmissions;
  const std::uint64_t initial = to_microseconds(self->config_.initial_retransmit_timeout);
  const std::uint64_t maximum =
      std::max(initial, to_microseconds(self->config_.max_retransmit_timeout));
  const std::uint64_t next =
      previous_us == 0 ? initial : std::min<std::uint64_t>(std::uint64_t{previous_us} * 2, maximum);
  return static_cast<unsigned int>(std::min<std::uint64_t>(next, 0xffffffffu));
}

void DtlsTransport::start(TimePoint now) {
  if (state_ != DtlsState::kNew) return;
  state_ = DtlsState::kConnecting;
  handshake_deadline_ = now + config_.handshake_timeout;
  if (role_ == DtlsRole::kClient) {
    drive_handshake(); // writes the ClientHello
    flush_output();
  }
  update_retransmit_deadline(now);
}

bool DtlsTransport::handle_datagram(Bytes datagram, TimePoint now) {
  if (state_ == DtlsState::kNew && role_ == DtlsRole::kServer) start(now);
  if (state_ != DtlsState::kConnecting && state_ != DtlsState::kConnected) {
    ++counters_.datagrams_ignored;
    return false;
  }
  ++counters_.datagrams_received;
  queue_.set_input(datagram);
  if (state_ == DtlsState::kConnecting) drive_handshake();
  // Records that followed the peer's Finished in the same datagram are read here too.
  if (state_ == DtlsState::kConnected) read_application_data();
  queue_.clear_input();
  flush_output();
  update_retransmit_deadline(now);
  return state_ == DtlsState::kConnecting || state_ == DtlsState::kConnected;
}

void DtlsTransport::drive_handshake() {
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    finish_handshake();
    return;
  }
  const int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
  fail(openssl_failure("handshake"));
}

void DtlsTransport::finish_handshake() {
  // The callback already refused a mismatching certificate; this guards against a handshake that
  // somehow finished without showing one.
  if (SSL_get0_peer_certificate(ssl_.get()) == nullptr || fingerprint_mismatch_) {
    fail(fingerprint_mismatch_ ? mismatch_detail_ : "remote certificate missing");
    return;
  }
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_.get());
  if (selected == nullptr) {
    fail("no SRTP protection profile negotiated (peer sent no common use_srtp profile)");
    return;
  }
  SrtpKeyingMaterial keys;
  if (selected->id == SRTP_AEAD_AES_128_GCM) {
    keys.profile = SrtpProfile::kAeadAes128Gcm;
  } else if (selected->id == SRTP_AES128_CM_SHA1_80) {
    keys.profile = SrtpProfile::kAes128CmSha1_80;
  } else {
    fail("unexpected SRTP protection profile selected");
    return;
  }

  // RFC 5764 §4.2: client_write_key | server_write_key | client_salt | server_salt.
  const std::size_t key_length = keys.key_length();
  const std::size_t salt_length = keys.salt_length();
  std::uint8_t block[2 * (kMaxSrtpMasterKeyLength + kMaxSrtpMasterSaltLength)];
  const std::size_t block_length = 2 * (key_length + salt_length);
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_.get(), block, block_length, kExporterLabel,
                                 sizeof kExporterLabel - 1, nullptr, 0, 0) != 1) {
    fail(openssl_failure("SRTP key export"));
    return;
  }
  const std::uint8_t* client_key = block;
  const std::uint8_t* server_key = block + key_length;
  const std::uint8_t* client_salt = block + 2 * key_length;
  const std::uint8_t* server_salt = client_salt + salt_length;
  const bool client = role_ == DtlsRole::kClient;
  std::copy_n(client ? client_key : server_key, key_length, keys.local_key.begin());
  std::copy_n(client ? server_key : client_key, key_length, keys.remote_key.begin());
  std::copy_n(client ? client_salt : server_salt, salt_length, keys.local_salt.begin());
  std::copy_n(client ? server_salt : client_salt, salt_length, keys.remote_salt.begin());
  OPENSSL_cleanse(block, sizeof block);

  srtp_profile_ = keys.profile;
  state_ = DtlsState::kConnected;
  // Our last flight (the server's Finished) goes out before the owner starts using the keys.
  flush_output();
  release_handshake_memory();
  listener_.on_dtls_connected(keys);
  OPENSSL_cleanse(&keys, sizeof keys);
}

void DtlsTransport::read_application_data() {
  // On the stack rather than in the transport: one record's worth is needed only here, and
  // thousands of idle legs would each keep 16 KiB. A nested call (a listener that sends, whose
  // peer answers in-process) gets its own frame.
  std::array<std::uint8_t, kMaxRecordPlaintext> plaintext;
  while (state_ == DtlsState::kConnected) {
    ERR_clear_error();
    const int n = SSL_read(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
    if (n > 0) {
      ++counters_.application_records_received;
      listener_.on_dtls_application_data(Bytes(plaintext.data(), static_cast<std::size_t>(n)));
      continue;
    }
    const int error = SSL_get_error(ssl_.get(), n);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    if (error == SSL_ERROR_ZERO_RETURN) {
      // close_notify: answer with ours (RFC 5246 §7.2.1) and report.
      ERR_clear_error();
      SSL_shutdown(ssl_.get());
      state_ = DtlsState::kClosed;
      retransmit_deadline_.reset();
      flush_output();
      listener_.on_dtls_closed();
      return;
    }
    fail(openssl_failure("read"));
    return;
  }
}

bool DtlsTransport::send_application_data(Bytes data) {
  if (state_ != DtlsState::kConnected || data.empty() ||
      data.size() > max_application_record(config_)) {
    ++counters_.application_send_failures;
    return false;
  }
  ERR_clear_error();
  const int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
  if (n != static_cast<int>(data.size())) {
    ERR_clear_error();
    ++counters_.application_send_failures;
    return false;
  }
  flush_output(); // one record per datagram
  return true;
}

void DtlsTransport::close() {
  if (state_ == DtlsState::kConnected) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
    flush_output();
  }
  if (state_ != DtlsState::kFailed) state_ = DtlsState::kClosed;
  retransmit_deadline_.reset();
}

std::optional<TimePoint> DtlsTransport::next_timeout() const {
  if (state_ == DtlsState::kConnecting) {
    return retransmit_deadline_ ? std::min(*retransmit_deadline_, handshake_deadline_)
                                : handshake_deadline_;
  }
  if (state_ == DtlsState::kConnected) return retransmit_deadline_;
  return std::nullopt;
}

void DtlsTransport::handle_timeout(TimePoint now) {
  if (state_ == DtlsState::kConnecting && now >= handshake_deadline_) {
    fail("DTLS handshake timed out");
    return;
  }
  if (state_ != DtlsState::kConnecting && state_ != DtlsState::kConnected) return;
  if (!retransmit_deadline_ || now < *retransmit_deadline_) return;
  ERR_clear_error();
  const int result = DTLSv1_handle_timeout(ssl_.get());
  if (result < 0) {
    fail(openssl_failure("retransmission (peer unreachable)"));
    return;
  }
  flush_output();
  update_retransmit_deadline(now);
}

void DtlsTransport::update_retransmit_deadline(TimePoint now) {
  timeval remaining{};
  if (state_ != DtlsState::kFailed && state_ != DtlsState::kClosed &&
      DTLSv1_get_timeout(ssl_.get(), &remaining) == 1) {
    retransmit_deadline_ = now + seconds(remaining.tv_sec) + microseconds(remaining.tv_usec);
  } else {
    retransmit_deadline_.reset();
  }
}

bool DtlsTransport::check_peer_certificate(X509* leaf) {
  const int der_length = i2d_X509(leaf, nullptr);
  if (der_length <= 0) {
    fingerprint_mismatch_ = true;
    mismatch_detail_ = "remote certificate fingerprint mismatch (certificate not encodable)";
    return false;
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(der_length));
  unsigned char* out = der.data();
  i2d_X509(leaf, &out);
  const HashAlgorithm algorithm =
      expected_remote_.empty() ? HashAlgorithm::kSha256 : expected_remote_.algorithm();
  const Fingerprint actual = compute_fingerprint(der, algorithm);
  if (!expected_remote_.empty() && actual == expected_remote_) return true;
  fingerprint_mismatch_ = true;
  mismatch_detail_ = "remote certificate fingerprint mismatch (expected " +
                     (expected_remote_.empty() ? std::string("none") : expected_remote_.to_sdp()) +
                     ", got " + actual.to_sdp() + ")";
  return false;
}

void DtlsTransport::release_handshake_memory() {
  // A flight can be several KiB (certificates); application records are one SCTP packet each.
  queue_.output.shrink_to_fit();
  queue_.records.shrink_to_fit();
  sending_.shrink_to_fit();
  sending_records_.shrink_to_fit();
}

void DtlsTransport::flush_output() {
  // Re-entrancy: a listener may send from on_dtls_send; its records land in queue_ and go out in
  // the next round of this loop, after the buffer being sent.
  if (flushing_) return;
  flushing_ = true;
  while (!queue_.records.empty()) {
    std::swap(queue_.output, sending_);
    std::swap(queue_.records, sending_records_);
    queue_.clear_output();

    std::size_t start = 0; // first byte of the datagram being built
    std::size_t end = 0;   // end of the last record in it
    for (const auto& record : sending_records_) {
      // A datagram ends where OpenSSL flushed, or before a record that would overflow the MTU
      // (OpenSSL sizes its records to fit, so that only splits queued application data).
      // Flush points must be kept: a resent flight goes out one message per flush, and packing
      // it with the next flight makes OpenSSL peers drop the rest of the datagram.
      if (end > start && record.end - start > config_.mtu) {
        ++counters_.datagrams_sent;
        listener_.on_dtls_send(Bytes(sending_.data() + start, end - start));
        start = end;
      }
      end = record.end;
      if (record.datagram_end) {
        ++counters_.datagrams_sent;
        listener_.on_dtls_send(Bytes(sending_.data() + start, end - start));
        start = end;
      }
    }
    if (end > start) {
      ++counters_.datagrams_sent;
      listener_.on_dtls_send(Bytes(sending_.data() + start, end - start));
    }
    sending_.clear();
    sending_records_.clear();
  }
  flushing_ = false;
}

std::string DtlsTransport::openssl_failure(const char* during) {
  if (fingerprint_mismatch_) {
    ERR_clear_error();
    return mismatch_detail_;
  }
  std::string detail = drain_openssl_errors();
  std::string reason = std::string("DTLS ") + during + " failed";
  if (!detail.empty()) reason += ": " + detail;
  return reason;
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == DtlsState::kFailed) return;
  state_ = DtlsState::kFailed;
  retransmit_deadline_.reset();
  flush_output(); // the alert OpenSSL queued tells the peer why
  listener_.on_dtls_failed(std::move(reason));
}

} // namespace wab::dtls
