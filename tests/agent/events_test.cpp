#include "agent/events.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wab::agent {
namespace {

ServerEvent parse_ok(const std::string& text) {
  std::string why;
  auto event = parse_server_event(text, {}, &why);
  EXPECT_TRUE(event.has_value()) << why << " in " << text;
  return event.value_or(ServerEvent{});
}

TEST(ServerEvents, SessionCreated) {
  const ServerEvent e =
      parse_ok(R"({"type":"session.created","event_id":"event_C9G5RJeJ2gF77mV7f2B1j",
    "session":{"type":"realtime","object":"realtime.session","id":"sess_C9G5QPteg4UIbotdKLoYQ",
      "model":"gpt-realtime-2.1","output_modalities":["audio"],"instructions":"…",
      "tools":[],"tool_choice":"auto","max_output_tokens":"inf","tracing":null,"prompt":null,
      "expires_at":1756324625,"audio":{"input":{"format":{"type":"audio/pcm","rate":24000},
      "transcription":null,"noise_reduction":null,"turn_detection":{"type":"server_vad",
      "threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":200,"idle_timeout_ms":null,
      "create_response":true,"interrupt_response":true}},"output":{"format":{"type":"audio/pcm","rate":24000},
      "voice":"alloy","speed":1.0}},"include":null}})");
  EXPECT_EQ(e.kind, ServerEventKind::session_created);
  EXPECT_EQ(e.type, "session.created");
  EXPECT_EQ(e.event_id, "event_C9G5RJeJ2gF77mV7f2B1j");
  EXPECT_EQ(e.session_id, "sess_C9G5QPteg4UIbotdKLoYQ");
  EXPECT_EQ(e.model, "gpt-realtime-2.1");
}

TEST(ServerEvents, GptLiveSessionAndTranscripts) {
  const ServerEvent started =
      parse_ok(R"({"type":"session.started","session":{"id":"live_1","model":"gpt-live-1"}})");
  EXPECT_EQ(started.kind, ServerEventKind::session_started);
  EXPECT_EQ(started.model, "gpt-live-1");
  const ServerEvent said = parse_ok(
      R"({"type":"session.output_transcript.delta","delta":"Hello","start_ms":0,"end_ms":400})");
  EXPECT_EQ(said.kind, ServerEventKind::output_transcript_delta);
  EXPECT_EQ(said.text, "Hello");
  EXPECT_EQ(parse_ok(R"({"type":"session.input_transcript.delta","delta":"Hi"})").kind,
            ServerEventKind::input_transcript_delta);
  const ServerEvent closed = parse_ok(R"({"type":"session.closed","reason":"expired"})");
  EXPECT_EQ(closed.kind, ServerEventKind::session_closed);
  EXPECT_EQ(closed.status_reason, "expired");
}

TEST(ServerEvents, Error) {
  const ServerEvent e = parse_ok(R"({"type":"error","event_id":"event_890","error":{
    "type":"invalid_request_error","code":"conversation_already_has_active_response",
    "message":"Conversation already has an active response in progress","param":null,"event_id":"evt_7"}})");
  EXPECT_EQ(e.kind, ServerEventKind::error);
  ASSERT_TRUE(e.error.has_value());
  EXPECT_EQ(e.error->type, "invalid_request_error");
  EXPECT_EQ(e.error->code, "conversation_already_has_active_response");
  EXPECT_EQ(e.error->message, "Conversation already has an active response in progress");
  EXPECT_EQ(e.error->param, "");
  EXPECT_EQ(e.error->event_id, "evt_7");
}

TEST(ServerEvents, GptLiveErrorNamesTheClientEvent) {
  const ServerEvent e = parse_ok(R"({"type":"error","client_event_id":"ev_9","error":{
    "type":"invalid_request_error","code":"invalid_event","message":"Invalid value"}})");
  ASSERT_TRUE(e.error.has_value());
  EXPECT_EQ(e.error->code, "invalid_event");
  EXPECT_EQ(e.error->event_id, "ev_9");
  const ServerEvent inside =
      parse_ok(R"({"type":"error","error":{"code":"invalid_value","client_event_id":"ev_10"}})");
  EXPECT_EQ(inside.error->event_id, "ev_10");
}

TEST(ServerEvents, SessionExpiredError) {
  const ServerEvent e = parse_ok(R"({"type":"error","error":{"type":"invalid_request_error",
    "code":"session_expired","message":"Your session hit the maximum duration of 60 minutes."}})");
  EXPECT_EQ(e.error->code, "session_expired");
}

TEST(ServerEvents, InputSpeechAndTranscription) {
  ServerEvent e = parse_ok(R"({"type":"input_audio_buffer.speech_started","event_id":"e1",
    "audio_start_ms":1000,"item_id":"item_003"})");
  EXPECT_EQ(e.kind, ServerEventKind::speech_started);
  EXPECT_EQ(e.audio_ms, 1000);
  EXPECT_EQ(e.item_id, "item_003");
  e = parse_ok(
      R"({"type":"input_audio_buffer.speech_stopped","audio_end_ms":2000,"item_id":"item_003"})");
  EXPECT_EQ(e.kind, ServerEventKind::speech_stopped);
  EXPECT_EQ(e.audio_ms, 2000);

  e = parse_ok(R"({"type":"conversation.item.input_audio_transcription.delta","item_id":"item_003",
    "content_index":0,"delta":"Hel"})");
  EXPECT_EQ(e.kind, ServerEventKind::input_transcript_delta);
  EXPECT_EQ(e.text, "Hel");
  e = parse_ok(R"({"type":"conversation.item.input_audio_transcription.completed","event_id":"e2",
    "item_id":"item_003","content_index":0,"transcript":"Hello, how are you?",
    "usage":{"type":"duration","seconds":1}})");
  EXPECT_EQ(e.kind, ServerEventKind::input_transcript_done);
  EXPECT_EQ(e.text, "Hello, how are you?");
  EXPECT_EQ(e.item_id, "item_003");
  e = parse_ok(R"({"type":"conversation.item.input_audio_transcription.failed","item_id":"i",
    "content_index":0,"error":{"type":"transcription_error","code":"audio_unintelligible",
    "message":"The audio could not be transcribed."}})");
  EXPECT_EQ(e.kind, ServerEventKind::input_transcript_failed);
  EXPECT_EQ(e.error->code, "audio_unintelligible");
}

TEST(ServerEvents, GaAndBetaOutputNamesMapToTheSameKinds) {
  struct Case {
    const char* type;
    ServerEventKind kind;
  } cases[] = {
      {"response.output_audio_transcript.delta", ServerEventKind::output_transcript_delta},
      {"response.audio_transcript.delta", ServerEventKind::output_transcript_delta},
      {"response.output_text.delta", ServerEventKind::output_text_delta},
      {"response.text.delta", ServerEventKind::output_text_delta},
      {"response.output_audio.delta", ServerEventKind::output_audio_delta},
      {"response.audio.delta", ServerEventKind::output_audio_delta},
  };
  for (const auto& c : cases) {
    const ServerEvent e = parse_ok(std::string(R"({"type":")") + c.type +
                                   R"(","response_id":"resp_1","item_id":"item_2","output_index":0,
      "content_index":0,"delta":"Hi the"})");
    EXPECT_EQ(e.kind, c.kind) << c.type;
    EXPECT_EQ(e.response_id, "resp_1");
    EXPECT_EQ(e.item_id, "item_2");
    if (c.kind != ServerEventKind::output_audio_delta) {
      EXPECT_EQ(e.text, "Hi the") << c.type;
    }
  }
  ServerEvent e = parse_ok(R"({"type":"response.audio_transcript.done","item_id":"item_2",
    "transcript":"Hi there, how can I help?"})");
  EXPECT_EQ(e.kind, ServerEventKind::output_transcript_done);
  EXPECT_EQ(e.text, "Hi there, how can I help?");
  e = parse_ok(R"({"type":"response.output_audio_transcript.done","transcript":"Bye."})");
  EXPECT_EQ(e.kind, ServerEventKind::output_transcript_done);
  EXPECT_EQ(e.text, "Bye.");
  e = parse_ok(R"({"type":"response.output_text.done","text":"Done."})");
  EXPECT_EQ(e.kind, ServerEventKind::output_text_done);
  EXPECT_EQ(e.text, "Done.");
  e = parse_ok(R"({"type":"response.text.done","text":"Old."})");
  EXPECT_EQ(e.kind, ServerEventKind::output_text_done);
}

TEST(ServerEvents, FunctionCallArgumentsDone) {
  const ServerEvent e = parse_ok(R"({"type":"response.function_call_arguments.done","event_id":"e",
    "response_id":"resp_002","item_id":"fc_001","output_index":0,"call_id":"call_001",
    "name":"end_call","arguments":"{\"reason\":\"goodbye\"}"})");
  EXPECT_EQ(e.kind, ServerEventKind::function_call_arguments_done);
  ASSERT_EQ(e.function_calls.size(), 1u);
  EXPECT_EQ(e.function_calls[0].call_id, "call_001");
  EXPECT_EQ(e.function_calls[0].name, "end_call");
  EXPECT_EQ(e.function_calls[0].arguments, R"({"reason":"goodbye"})");
  EXPECT_EQ(e.function_calls[0].item_id, "fc_001");
}

TEST(ServerEvents, OutputItemAddedWithFunctionCall) {
  const ServerEvent e = parse_ok(R"({"type":"response.output_item.added","response_id":"r",
    "output_index":0,"item":{"id":"fc_9","type":"function_call","status":"in_progress",
    "call_id":"call_9","name":"lookup","arguments":""}})");
  EXPECT_EQ(e.kind, ServerEventKind::output_item_added);
  EXPECT_EQ(e.item_id, "fc_9");
  ASSERT_EQ(e.function_calls.size(), 1u);
  EXPECT_EQ(e.function_calls[0].name, "lookup");
}

TEST(ServerEvents, ResponseDoneWithParallelCallsUsageAndStatus) {
  ServerEvent e = parse_ok(R"({"type":"response.done","event_id":"e","response":{
    "object":"realtime.response","id":"resp_001","status":"completed","status_details":null,
    "output":[
      {"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_audio","transcript":"One moment."}]},
      {"id":"fc_1","type":"function_call","call_id":"call_a","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
      {"id":"fc_2","type":"function_call","call_id":"call_b","name":"get_time","arguments":"{}"}],
    "usage":{"total_tokens":253,"input_tokens":132,"output_tokens":121,
      "input_token_details":{"text_tokens":119,"audio_tokens":13},"output_token_details":{"text_tokens":30,"audio_tokens":91}}}})");
  EXPECT_EQ(e.kind, ServerEventKind::response_done);
  EXPECT_EQ(e.response_id, "resp_001");
  EXPECT_EQ(e.response_status, "completed");
  ASSERT_EQ(e.function_calls.size(), 2u);
  EXPECT_EQ(e.function_calls[0].call_id, "call_a");
  EXPECT_EQ(e.function_calls[1].name, "get_time");
  ASSERT_TRUE(e.usage.has_value());
  EXPECT_EQ(e.usage->total_tokens, 253);
  EXPECT_EQ(e.usage->input_tokens, 132);
  EXPECT_EQ(e.usage->output_tokens, 121);

  e = parse_ok(R"({"type":"response.done","response":{"id":"resp_2","status":"cancelled",
    "status_details":{"type":"cancelled","reason":"turn_detected"},"output":[]}})");
  EXPECT_EQ(e.response_status, "cancelled");
  EXPECT_EQ(e.status_reason, "turn_detected");
  EXPECT_FALSE(e.error.has_value());

  e = parse_ok(R"({"type":"response.done","response":{"id":"resp_3","status":"failed",
    "status_details":{"type":"failed","error":{"type":"server_error","code":"internal","message":"boom"}}}})");
  EXPECT_EQ(e.response_status, "failed");
  ASSERT_TRUE(e.error.has_value());
  EXPECT_EQ(e.error->message, "boom");
}

TEST(ServerEvents, OutputAudioBufferAndRateLimits) {
  ServerEvent e =
      parse_ok(R"({"type":"output_audio_buffer.started","event_id":"e","response_id":"resp_a"})");
  EXPECT_EQ(e.kind, ServerEventKind::output_audio_buffer_started);
  EXPECT_EQ(e.response_id, "resp_a");
  EXPECT_EQ(parse_ok(R"({"type":"output_audio_buffer.stopped","response_id":"r"})").kind,
            ServerEventKind::output_audio_buffer_stopped);
  EXPECT_EQ(parse_ok(R"({"type":"output_audio_buffer.cleared","response_id":"r"})").kind,
            ServerEventKind::output_audio_buffer_cleared);

  e = parse_ok(R"({"type":"rate_limits.updated","event_id":"e","rate_limits":[
    {"name":"requests","limit":1000,"remaining":999,"reset_seconds":60},
    {"name":"tokens","limit":50000,"remaining":49950,"reset_seconds":0.5}, 7]})");
  EXPECT_EQ(e.kind, ServerEventKind::rate_limits_updated);
  ASSERT_EQ(e.rate_limits.size(), 2u);
  EXPECT_EQ(e.rate_limits[0].name, "requests");
  EXPECT_EQ(e.rate_limits[0].remaining, 999);
  EXPECT_DOUBLE_EQ(e.rate_limits[1].reset_seconds, 0.5);
}

TEST(ServerEvents, UnknownTypesAreKeptAsUnknown) {
  const ServerEvent e = parse_ok(R"({"type":"mcp_list_tools.completed","item_id":"x"})");
  EXPECT_EQ(e.kind, ServerEventKind::unknown);
  EXPECT_EQ(e.type, "mcp_list_tools.completed");
}

TEST(ServerEvents, WrongFieldTypesAreIgnored) {
  const ServerEvent e = parse_ok(R"({"type":"error","event_id":5,"error":"nope"})");
  EXPECT_EQ(e.kind, ServerEventKind::error);
  EXPECT_EQ(e.event_id, "");
  EXPECT_FALSE(e.error.has_value());
  const ServerEvent t =
      parse_ok(R"({"type":"response.output_audio_transcript.done","transcript":[1]})");
  EXPECT_EQ(t.text, "");
}

TEST(ServerEvents, RejectsWhatIsNotAnEvent) {
  std::string why;
  EXPECT_FALSE(parse_server_event("", {}, &why));
  EXPECT_EQ(why, "not valid JSON");
  EXPECT_FALSE(parse_server_event("[]", {}, &why));
  EXPECT_EQ(why, "event is not a JSON object");
  EXPECT_FALSE(parse_server_event(R"({"type":7})", {}, &why));
  EXPECT_EQ(why, "event has no \"type\"");
  EXPECT_FALSE(parse_server_event(R"({"type":"session.created")", {}, &why));
  EXPECT_FALSE(parse_server_event(std::string(100, '['), {}, &why));
  EXPECT_EQ(why, "JSON nested deeper than 64 levels");
  EventLimits small;
  small.max_bytes = 10;
  EXPECT_FALSE(parse_server_event(R"({"type":"session.created"})", small, &why));
  EXPECT_EQ(why, "body larger than 10 bytes");
  EXPECT_FALSE(parse_server_event("{\"type\":\"a\xff\"}", {}, &why)); // invalid UTF-8
}

} // namespace
} // namespace wab::agent
