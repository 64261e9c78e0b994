#pragma once
// The browser softphone (enabled with the dashboard by ADMIN_TOKEN): GET /softphone serves a page
// that calls the agent from the browser's microphone over WebRTC; the call takes the WhatsApp
// call path (agent profile, tools, transcripts, recordings, dashboard) with Meta's steps done
// locally (bridge::SoftphoneCall). The page signs in like the dashboard and follows the call's
// transcript on the dashboard's event stream.
//   POST /softphone/call   {"sdp": offer, "phone_number_id"?} → {"call_id", "sdp": answer}
//   POST /softphone/hangup {"call_id"}                         → 204 (404: no such call)
// Both want the dashboard's sign-in (Bearer admin token or session cookie).
//
// Threads: the loop's thread only. Owned by the app, after the dashboard and the registry.
#include "app/dashboard.hpp"
#include "bridge/call_registry.hpp"
#include "http/server.hpp"

namespace wab::app {

class Softphone {
public:
  Softphone(bridge::CallRegistry& registry, const bridge::CallServices& services,
            Dashboard& dashboard)
      : registry_(registry), services_(services), dashboard_(dashboard) {}

  void add_routes(http::Server& server);

private:
  void on_call(const http::ServerRequest& request, http::Responder reply);
  void on_hangup(const http::ServerRequest& request, const http::Responder& reply);

  bridge::CallRegistry& registry_;
  const bridge::CallServices& services_;
  Dashboard& dashboard_;
};

} // namespace wab::app
