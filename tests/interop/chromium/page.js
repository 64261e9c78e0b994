// Runs inside the headless Chromium page (served by peer.js). Exposes window.wab with the steps
// peer.js drives; reports events through window.wabEmit (exposed by peer.js).
//
// Payloads are replaced/inspected with RTCRtpScriptTransform in a worker: the sender turns the
// first 100 encoded Opus frames after `connected` into pattern(0..99) and drops later frames;
// the receiver checks every incoming frame against pattern(index).

const WORKER_SOURCE = `
const PACKET_COUNT = 100;
function pattern(i) {
  const p = new Uint8Array(60);
  p[0] = 0xf8; p[1] = (i >> 8) & 0xff; p[2] = i & 0xff;
  for (let k = 3; k < 60; k++) p[k] = (i * 31 + k) & 0xff;
  return p;
}
function patternIndex(data) {
  if (data.length !== 60) return -1;
  const i = (data[1] << 8) | data[2];
  const want = pattern(i);
  for (let k = 0; k < 60; k++) if (data[k] !== want[k]) return -1;
  return i;
}
let started = false;
let sent = 0;
self.onmessage = (event) => { if (event.data && event.data.start) started = true; };
self.onrtctransform = (event) => {
  const transformer = event.transformer;
  const side = transformer.options.side;
  const stream = new TransformStream({
    transform(frame, controller) {
      if (side === 'send') {
        // Frames before the connection is up would be dropped by the transport: hold back.
        if (!started || sent >= PACKET_COUNT) return;
        frame.data = pattern(sent).buffer;
        sent++;
        self.postMessage({ kind: 'sent', count: sent });
        controller.enqueue(frame);
      } else {
        const data = new Uint8Array(frame.data);
        const metadata = frame.getMetadata ? frame.getMetadata() : {};
        self.postMessage({ kind: 'received', index: patternIndex(data), pt: metadata.payloadType });
        controller.enqueue(frame);
      }
    },
  });
  transformer.readable.pipeThrough(stream).pipeTo(transformer.writable);
};
`;

const BINARY_SIZE = 204800;

function binaryMessage() {
  const b = new Uint8Array(BINARY_SIZE);
  for (let k = 0; k < BINARY_SIZE; k++) b[k] = (k * 7 + 3) & 0xff;
  return b;
}

window.wab = (() => {
  const state = {
    name: 'chromium',
    wantData: false,
    rtpReceived: 0,
    validIndices: new Set(),
    payloadTypes: new Set(),
    rtpSent: 0,
    messages: [],
    messagesSent: 0,
    doneSent: false,
    connectedSent: false,
  };
  let pc = null;
  let microphone = null;
  // One worker per direction keeps the send counter and the receive checks apart.
  let sendWorker = null;
  let receiveWorker = null;
  const emit = (message) => window.wabEmit(message);

  function checkDone() {
    if (state.doneSent || state.rtpSent < 100 || state.validIndices.size < 100) return;
    if (state.wantData) {
      const text = state.messages.some((m) => m.valid && !m.binary);
      const binary = state.messages.some((m) => m.valid && m.binary);
      if (state.messagesSent < 2 || !text || !binary) return;
    }
    state.doneSent = true;
    emit({ type: 'event', event: 'done' });
  }

  function onWorkerMessage(event) {
    const m = event.data;
    if (m.kind === 'sent') {
      state.rtpSent = m.count;
    } else if (m.kind === 'received') {
      state.rtpReceived++;
      if (m.pt !== undefined) state.payloadTypes.add(m.pt);
      if (m.index >= 0) state.validIndices.add(m.index);
    }
    checkDone();
  }

  function attachChannel(channel) {
    channel.binaryType = 'arraybuffer';
    channel.onmessage = (event) => {
      if (typeof event.data === 'string') {
        state.messages.push({
          binary: false,
          size: new TextEncoder().encode(event.data).length,
          valid: event.data.startsWith('hello from '),
        });
      } else {
        const got = new Uint8Array(event.data);
        const want = binaryMessage();
        let valid = got.length === want.length;
        for (let k = 0; valid && k < got.length; k++) valid = got[k] === want[k];
        state.messages.push({ binary: true, size: got.length, valid });
      }
      checkDone();
    };
    const send = () => {
      channel.send('hello from ' + state.name);
      channel.send(binaryMessage());
      state.messagesSent = 2;
      checkDone();
    };
    if (channel.readyState === 'open') send();
    else channel.onopen = send;
  }

  async function srtpCipher() {
    const stats = await pc.getStats();
    let cipher = 'unknown';
    stats.forEach((s) => {
      if (s.type === 'transport' && s.srtpCipher) cipher = s.srtpCipher;
    });
    return cipher;
  }

  async function setup(options) {
    microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
    state.name = options.name;
    state.wantData = !!options.data;
    const workerUrl = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    sendWorker = new Worker(workerUrl);
    receiveWorker = new Worker(workerUrl);
    sendWorker.onmessage = onWorkerMessage;
    receiveWorker.onmessage = onWorkerMessage;
    pc = new RTCPeerConnection();
    pc.onconnectionstatechange = async () => {
      if (pc.connectionState === 'connected' && !state.connectedSent) {
        state.connectedSent = true;
        sendWorker.postMessage({ start: true });
        emit({ type: 'event', event: 'connected', peer: state.name, srtp: await srtpCipher() });
      } else if (pc.connectionState === 'failed') {
        emit({ type: 'event', event: 'failed', reason: 'chromium connection failed' });
      }
    };
    pc.ontrack = (event) => attachReceiveTransform(event.receiver);
    pc.ondatachannel = (event) => {
      state.wantData = true;
      attachChannel(event.channel);
    };
  }

  // Chromium 156 quirks, found by experiment: a receive transform set in ontrack of an offerer is
  // never fed (the receive stream already exists), so it is attached when the transceiver is
  // created; and a send transform stays unused when getUserMedia ran after setRemoteDescription,
  // so the microphone is opened first, in setup().
  function attachReceiveTransform(receiver) {
    if (receiver.transform) return;
    receiver.transform = new RTCRtpScriptTransform(receiveWorker, { side: 'receive' });
  }

  async function addMicrophone() {
    const stream = microphone;
    const sender = pc.addTrack(stream.getAudioTracks()[0], stream);
    const transceiver = pc.getTransceivers().find((t) => t.sender === sender);
    attachReceiveTransform(transceiver.receiver);
    return sender;
  }

  function attachSendTransform(sender) {
    sender.transform = new RTCRtpScriptTransform(sendWorker, { side: 'send' });
  }

  async function gatheredDescription() {
    if (pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 5000);
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    }
    return pc.localDescription.sdp;
  }

  return {
    async offer(options) {
      await setup(options);
      attachSendTransform(await addMicrophone());
      if (options.data) attachChannel(pc.createDataChannel('wab'));
      await pc.setLocalDescription(await pc.createOffer());
      return gatheredDescription();
    },
    async acceptAnswer(sdp) {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    },
    async answer(options, sdp) {
      await setup(options);
      await pc.setRemoteDescription({ type: 'offer', sdp });
      attachSendTransform(await addMicrophone());
      await pc.setLocalDescription(await pc.createAnswer());
      return gatheredDescription();
    },
    async report() {
      let inbound = null;
      if (pc) {
        (await pc.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s.packetsReceived;
        });
      }
      return {
        stats_packets_received: inbound,
        type: 'report',
        peer: state.name,
        rtp_received: state.rtpReceived,
        rtp_valid: state.validIndices.size,
        rtp_sent: state.rtpSent,
        rtp_payload_types: [...state.payloadTypes],
        messages: state.messages,
      };
    },
  };
})();
