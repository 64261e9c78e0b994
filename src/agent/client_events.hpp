#pragma once
// The OpenAI Realtime data-channel protocol, client side: builders for the events we send. Each
// returns one complete JSON text (OpenAI drops the connection on malformed JSON); invalid UTF-8 in
// the inputs is replaced, never thrown. Pure; any thread.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace wab::agent {

// `session.update` with a GA session object (session_config.hpp; build it without the model).
std::string session_update(const nlohmann::json& session, std::string_view event_id = {});
// `response.create`, optionally with per-response instructions (e.g. the greeting).
std::string response_create(std::optional<std::string_view> instructions = std::nullopt,
                            std::string_view event_id = {});
// `conversation.item.create` with a user text message.
std::string user_text_message(std::string_view text, std::string_view event_id = {});
// `conversation.item.create` with a function_call_output answering `call_id`.
std::string function_call_output(std::string_view call_id, std::string_view output,
                                 std::string_view event_id = {});
// `response.cancel`, optionally naming the response.
std::string response_cancel(std::optional<std::string_view> response_id = std::nullopt);
// `output_audio_buffer.clear` (WebRTC only): cut the audio being played; send response.cancel
// first.
std::string output_audio_buffer_clear();

} // namespace wab::agent
