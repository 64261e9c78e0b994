// Fuzzes the STUN parser, every typed getter, MESSAGE-INTEGRITY / FINGERPRINT verification, and a
// rebuild of the parsed attributes with MessageBuilder (which must parse again).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "stun/builder.hpp"
#include "stun/message.hpp"

using namespace wab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto key = stun::IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
  const Bytes input(data, size);
  const bool quick = stun::is_stun(input);
  auto m = stun::Message::parse(input);
  if (!m) return 0;
  if (!quick && input[0] < 4) std::abort(); // parse accepted what the demux check refused

  (void)m->username();
  (void)m->software();
  (void)m->priority();
  (void)m->use_candidate();
  (void)m->ice_controlling();
  (void)m->ice_controlled();
  (void)m->xor_mapped_address();
  (void)m->error_code();
  (void)m->first_unknown_required();
  (void)m->check_integrity(key);
  (void)m->check_fingerprint();

  std::array<std::uint8_t, 2048> buf{};
  stun::MessageBuilder b(buf, static_cast<stun::Method>(m->method()), m->message_class(),
                         m->transaction_id_copy());
  for (stun::Attribute a : *m) {
    if (a.type == stun::attr::message_integrity || a.type == stun::attr::fingerprint) continue;
    b.add_bytes(a.type, a.value);
  }
  b.add_message_integrity(key);
  b.add_fingerprint();
  if (b.ok()) {
    auto again = stun::Message::parse(b.bytes());
    if (!again || !again->check_integrity(key) || !again->check_fingerprint()) std::abort();
  }
  return 0;
}
