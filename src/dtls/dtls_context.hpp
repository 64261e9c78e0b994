#pragma once
// Internal to dtls/: builds the SSL_CTX a Certificate shares with its transports.
#include "dtls/openssl_handles.hpp"
#include "dtls/srtp_keying_material.hpp"

namespace wab::dtls {

// DTLS 1.2 only, our certificate and key, use_srtp with the offered profiles, peer certificate
// required (its fingerprint is checked by the transport, self-signed accepted), no session cache,
// no tickets, no MTU queries (the transport sets it). Throws std::runtime_error on failure.
SslCtxPtr make_dtls_context(X509* certificate, EVP_PKEY* key, SrtpProfileOffer offer);

// Defined by dtls_transport.cpp: the context's certificate-verify callback hands it the peer's
// leaf certificate; the transport (found through SSL_get_app_data) compares its fingerprint with
// the one the SDP announced. Returns true to accept.
bool verify_peer_certificate(SSL* ssl, X509* peer_leaf);

} // namespace wab::dtls
