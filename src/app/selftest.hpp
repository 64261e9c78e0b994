#pragma once
// `wabridge selftest`: connects two local WebRTC legs (an OpenAI-shaped offer with audio and the
// `oai-events` data channel, answered by the second leg) over real UDP sockets on this machine,
// sends Opus-sized RTP packets and data-channel messages both ways, and logs what flowed.
namespace wab::app {

// Returns the process exit code: 0 when everything arrived intact.
int run_selftest();

} // namespace wab::app
