#pragma once
// Internal to dtls/: the BIO between OpenSSL and a DtlsTransport. Reading hands OpenSSL the one
// datagram being processed; writing collects records so the transport can send them as datagrams
// no larger than the MTU. OpenSSL packs a flight's records up to the MTU itself when the BIO
// reports what is pending, and calls BIO_flush where a datagram should end.
#include "common/bytes.hpp"
#include "dtls/openssl_handles.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wab::dtls {

// Owned by the transport; the BIO points at it and never outlives it (the SSL that owns the BIO
// is destroyed first).
struct DatagramQueue {
  struct RecordEnd {
    std::uint32_t end; // offset just past the record in `output`
    bool datagram_end; // OpenSSL flushed after this record
  };

  Bytes input;
  bool input_pending = false;
  std::vector<std::uint8_t> output;
  std::vector<RecordEnd> records;

  void set_input(Bytes datagram) {
    input = datagram;
    input_pending = true;
  }
  void clear_input() {
    input = {};
    input_pending = false;
  }
  void clear_output() {
    output.clear();
    records.clear();
  }
  // Bytes written since the last datagram boundary.
  std::size_t pending_in_datagram() const;
};

// A new BIO reading from and writing to `queue`. The caller hands it to SSL_set_bio, which takes
// ownership. Throws std::runtime_error if OpenSSL cannot allocate it.
BIO* make_datagram_bio(DatagramQueue* queue);

} // namespace wab::dtls
