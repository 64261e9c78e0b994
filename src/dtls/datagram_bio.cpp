#include "dtls/datagram_bio.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace wab::dtls {
namespace {

DatagramQueue* queue_of(BIO* bio) {
  return static_cast<DatagramQueue*>(BIO_get_data(bio));
}

int bio_write(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  DatagramQueue* q = queue_of(bio);
  if (q == nullptr || length < 0) return -1;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  q->output.insert(q->output.end(), bytes, bytes + length);
  q->records.push_back({static_cast<std::uint32_t>(q->output.size()), false});
  return length;
}

int bio_read(BIO* bio, char* out, int capacity) {
  BIO_clear_retry_flags(bio);
  DatagramQueue* q = queue_of(bio);
  if (q == nullptr || !q->input_pending || capacity < 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  // One datagram per read, as a datagram socket would; a larger one than OpenSSL's buffer is
  // truncated and then fails its record checks.
  const std::size_t n = std::min(q->input.size(), static_cast<std::size_t>(capacity));
  std::memcpy(out, q->input.data(), n);
  q->input_pending = false;
  return static_cast<int>(n);
}

long bio_ctrl(BIO* bio, int command, long /*num*/, void* /*ptr*/) {
  DatagramQueue* q = queue_of(bio);
  switch (command) {
  case BIO_CTRL_FLUSH:
    if (q != nullptr && !q->records.empty()) q->records.back().datagram_end = true;
    return 1;
  case BIO_CTRL_WPENDING: return q != nullptr ? static_cast<long>(q->pending_in_datagram()) : 0;
  case BIO_CTRL_PENDING: return q != nullptr && q->input_pending ? q->input.size() : 0;
  default: return 0; // no MTU queries, no peer addresses, no timeouts kept in the BIO
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int bio_destroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

const BIO_METHOD* datagram_bio_method() {
  // Process-wide and immutable once built; a function-local static makes creation thread-safe.
  static const BioMethodPtr method = [] {
    BioMethodPtr m(BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wab-dtls-datagram"));
    if (!m || BIO_meth_set_write(m.get(), bio_write) != 1 ||
        BIO_meth_set_read(m.get(), bio_read) != 1 || BIO_meth_set_ctrl(m.get(), bio_ctrl) != 1 ||
        BIO_meth_set_create(m.get(), bio_create) != 1 ||
        BIO_meth_set_destroy(m.get(), bio_destroy) != 1) {
      throw std::runtime_error("DTLS: cannot create the datagram BIO method");
    }
    return m;
  }();
  return method.get();
}

} // namespace

std::size_t DatagramQueue::pending_in_datagram() const {
  std::size_t start = 0;
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (it->datagram_end) {
      start = it->end;
      break;
    }
  }
  return output.size() - start;
}

BIO* make_datagram_bio(DatagramQueue* queue) {
  BIO* bio = BIO_new(datagram_bio_method());
  if (bio == nullptr) throw std::runtime_error("DTLS: BIO_new failed");
  BIO_set_data(bio, queue);
  return bio;
}

} // namespace wab::dtls
