// The simulated far ends' HTTP sides: Meta's Graph API calls endpoint and signed webhooks,
// OpenAI's Realtime GA calls endpoint. Shapes as in tests/e2e (whatsapp.md, openai.md).
#include <ctime>
#include <nlohmann/json.hpp>

#include "rtc/negotiation.hpp"
#include "sdp/offer_answer.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"
#include "tools/loadgen/generator.hpp"
#include "whatsapp/signature.hpp"

namespace wab::loadgen {
namespace {

using nlohmann::json;

// Test credentials of this generator only; the bridge gets them through its environment.
constexpr const char* kAppSecret = "loadgen-app-secret";
constexpr const char* kAccessToken = "loadgen-access-token";
constexpr const char* kVerifyToken = "loadgen-verify-token";
constexpr const char* kApiKey = "sk-loadgen";
constexpr const char* kPhoneNumberId = "106540352242922";
constexpr const char* kBusinessNumber = "15550001111";
constexpr const char* kWabaId = "102290129340398";

json envelope(json call) {
  return {
      {"object", "whatsapp_business_account"},
      {"entry",
       {{{"id", kWabaId},
         {"changes",
          {{{"field", "calls"},
            {"value",
             {{"messaging_product", "whatsapp"},
              {"metadata",
               {{"display_phone_number", kBusinessNumber}, {"phone_number_id", kPhoneNumberId}}},
              {"contacts", {{{"profile", {{"name", "Load"}}}, {"wa_id", "15550009999"}}}},
              {"calls", {call}}}}}}}}}}};
}

std::string unix_now() {
  return std::to_string(static_cast<long long>(std::time(nullptr)));
}

} // namespace

std::vector<std::string> Generator::bridge_environment() const {
  const std::string svc = "http://127.0.0.1:" + std::to_string(services_port_);
  return {"PORT=" + std::to_string(bridge_port_),
          "HTTP_HOST=127.0.0.1",
          "MEDIA_PUBLIC_IP=127.0.0.1",
          "MEDIA_PORT_MIN=" + std::to_string(options_.media_port_min),
          "MEDIA_PORT_MAX=" + std::to_string(options_.media_port_max),
          std::string("WHATSAPP_ACCESS_TOKEN=") + kAccessToken,
          std::string("WHATSAPP_APP_SECRET=") + kAppSecret,
          std::string("WHATSAPP_VERIFY_TOKEN=") + kVerifyToken,
          "WHATSAPP_GRAPH_URL=" + svc + "/v24.0",
          std::string("OPENAI_API_KEY=") + kApiKey,
          "OPENAI_BASE_URL=" + svc + "/v1",
          "OPENAI_AUTH=apikey",
          "DRAIN_GRACE_SECONDS=1",
          "WORKERS=" + options_.bridge_workers,
          "STUN_SERVER="};
}

void Generator::install_routes() {
  services_.route("POST", std::string("/v24.0/") + kPhoneNumberId + "/calls",
                  [this](const http::ServerRequest& r, http::Responder respond) {
                    on_graph(r, std::move(respond));
                  });
  services_.route("POST", "/v1/realtime/calls",
                  [this](const http::ServerRequest& r, http::Responder respond) {
                    on_openai_call(r, std::move(respond));
                  });
}

void Generator::on_graph(const http::ServerRequest& r, http::Responder respond) {
  const auto body = json::parse(r.body, nullptr, false);
  const std::string action = body.is_object() ? body.value("action", "") : "";
  const std::string call_id = body.is_object() ? body.value("call_id", "") : "";
  auto it = by_id_.find(call_id);
  if (r.header("authorization") != std::string("Bearer ") + kAccessToken || it == by_id_.end()) {
    ++graph_errors_;
    respond.send(400, R"({"error":{"message":"bad request","type":"OAuthException","code":100}})",
                 "application/json");
    return;
  }
  SimCall& call = *calls_[it->second];
  const TimePoint now = loop_.now();
  try {
    if ((action == "pre_accept" || action == "accept") && !call.started) {
      const std::string sdp = body.at("session").at("sdp");
      call.caller->transport().start(
          rtc::remote_parameters(sdp::parse(sdp), rtc::SdpSide::we_offered));
      call.started = true;
    }
  } catch (const std::exception& e) {
    ++graph_errors_;
    respond.send(400, json{{"error", {{"message", e.what()}, {"code", 100}}}}.dump(),
                 "application/json");
    return;
  }
  if (action == "pre_accept") call.pre_accept_at = now;
  if (action == "accept") call.accept_at = now;
  if (action == "reject" || action == "terminate") call.ended = true;
  respond.send(200, R"({"messaging_product":"whatsapp","success":true})", "application/json");
}

void Generator::on_openai_call(const http::ServerRequest& r, http::Responder respond) {
  // Multipart: the `sdp` part is the offer (the `session` part is not needed here).
  const auto start = r.body.find("v=0");
  const auto end = r.body.find("\r\n--", start);
  if (start == std::string::npos || end == std::string::npos) {
    respond.send(400, R"({"error":{"message":"no sdp","type":"invalid_request_error"}})",
                 "application/json");
    return;
  }
  const std::size_t index = agents_.size();
  auto agent = std::make_unique<SimPeer>(
      loop_, batch_, SimPeer::Role::agent, 0x80000000u | static_cast<std::uint32_t>(index),
      [this](SimPeer::Role who, const Probe& p, TimePoint now) { on_probe(who, p, now); },
      [this](SimPeer::Role who, std::int64_t ns) { on_sent(who, ns); });
  try {
    const auto offer = sdp::parse(r.body.substr(start, end - start + 2));
    const auto answer = sdp::answer_generic_offer(
        offer, rtc::local_parameters(agent->transport(), 0x20000000u + index, "agent"));
    agent->transport().start(rtc::remote_parameters(offer, rtc::SdpSide::we_answered));
    const std::string id = "rtc_load_" + std::to_string(index);
    services_.route("POST", "/v1/realtime/calls/" + id + "/hangup",
                    [this](const http::ServerRequest&, http::Responder hang) {
                      ++hangups_;
                      hang.send(200, "", "application/json");
                    });
    http::ServerResponse response;
    response.status = 201;
    response.content_type = "application/sdp";
    response.body = sdp::write(answer);
    response.headers.push_back({"Location", "/v1/realtime/calls/" + id});
    agents_.push_back(std::move(agent));
    respond.send(std::move(response));
  } catch (const std::exception& e) {
    respond.send(400, json{{"error", {{"message", e.what()}}}}.dump(), "application/json");
  }
}

void Generator::post_webhook(const std::string& body, std::function<void(bool)> done) {
  http::Request request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(bridge_port_) + "/webhook";
  request.headers = {{"Content-Type", "application/json"},
                     {"X-Hub-Signature-256", whatsapp::sign_body(kAppSecret, body)}};
  request.body = body;
  client_.send(std::move(request), [this, done](http::Response response) {
    if (!response.ok()) ++webhook_failures_;
    if (done) done(response.ok());
  });
}

std::string Generator::connect_body(const SimCall& call) const {
  return envelope({{"id", call.id},
                   {"from", "15550009999"},
                   {"to", kBusinessNumber},
                   {"event", "connect"},
                   {"timestamp", unix_now()},
                   {"direction", "USER_INITIATED"},
                   {"session", {{"sdp_type", "offer"}, {"sdp", call.offer}}}})
      .dump();
}

std::string Generator::terminate_body(const SimCall& call) const {
  return envelope({{"id", call.id},
                   {"from", "15550009999"},
                   {"to", kBusinessNumber},
                   {"event", "terminate"},
                   {"direction", "USER_INITIATED"},
                   {"timestamp", unix_now()},
                   {"status", "COMPLETED"},
                   {"start_time", unix_now()},
                   {"end_time", unix_now()},
                   {"duration", 1}})
      .dump();
}

} // namespace wab::loadgen
