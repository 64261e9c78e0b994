#include "app/softphone.hpp"

#include <fmt/format.h>

#include "app/softphone_page.hpp"
#include "common/json_input.hpp"
#include "common/log.hpp"
#include "common/random.hpp"

namespace wab::app {
namespace {

void softphone_reply(const http::Responder& reply, int status, const nlohmann::json& body) {
  http::ServerResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.headers.emplace_back("Cache-Control", "no-store");
  reply.send(std::move(response));
}

// An offer with its candidates is a few kB; anything much larger is not a browser's offer.
constexpr JsonLimits kBodyLimits{64 * 1024, 8};

} // namespace

void Softphone::add_routes(http::Server& server) {
  server.route("GET", "/softphone", [](const http::ServerRequest&, const http::Responder& reply) {
    // As the dashboard, plus the microphone and its audio for this page only.
    http::ServerResponse response = embedded_page(softphone_page(), "media-src 'self' blob:; ");
    response.headers.emplace_back("Permissions-Policy", "microphone=(self)");
    reply.send(std::move(response));
  });
  server.route("POST", "/softphone/call",
               [this](const http::ServerRequest& req, http::Responder reply) {
                 on_call(req, std::move(reply));
               });
  server.route("POST", "/softphone/hangup",
               [this](const http::ServerRequest& req, const http::Responder& reply) {
                 on_hangup(req, reply);
               });
}

void Softphone::on_call(const http::ServerRequest& req, http::Responder reply) {
  if (!dashboard_.authorize(req, reply)) return;
  std::string why;
  const auto body = parse_untrusted_json(req.body, kBodyLimits, why);
  bridge::SoftphoneCall call;
  if (body) {
    call.offer_sdp = string_field(*body, "sdp");
    call.phone_number_id = string_field(*body, "phone_number_id");
  }
  if (!body || call.offer_sdp.empty()) {
    softphone_reply(reply, 400,
                    {{"error", "expected JSON {\"sdp\": offer, \"phone_number_id\"?}"}});
    return;
  }
  if (services_.profiles.for_number(call.phone_number_id).realtime == nullptr &&
      services_.realtime == nullptr) {
    softphone_reply(reply, 503, {{"error", "no agent is configured for this number"}});
    return;
  }
  call.call_id = fmt::format("softphone-{:016x}", random_u64());
  const std::string id = call.call_id;
  log::info("softphone_call", {{"call_id", id}, {"peer", req.peer.ip_string()}});
  const bool started = registry_.start_softphone_call(
      std::move(call), [reply, id](const std::string& answer_sdp, const std::string& cause) {
        if (answer_sdp.empty()) {
          softphone_reply(
              reply, 502,
              {{"error", "the call could not be answered"}, {"call_id", id}, {"cause", cause}});
        } else {
          softphone_reply(reply, 200, {{"call_id", id}, {"sdp", answer_sdp}});
        }
      });
  if (!started) softphone_reply(reply, 503, {{"error", "wabridge is not taking calls"}});
}

void Softphone::on_hangup(const http::ServerRequest& req, const http::Responder& reply) {
  if (!dashboard_.authorize(req, reply)) return;
  std::string why;
  const auto body = parse_untrusted_json(req.body, kBodyLimits, why);
  const std::string id = body ? string_field(*body, "call_id") : std::string();
  if (id.empty() || !registry_.hang_up_softphone_call(id, "softphone_hung_up")) {
    softphone_reply(reply, 404, {{"error", "no such softphone call"}});
    return;
  }
  http::ServerResponse response;
  response.status = 204;
  reply.send(std::move(response));
}

} // namespace wab::app
