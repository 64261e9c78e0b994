package main

// ICE-TCP (RFC 6544) passive side, the way OpenAI's answer can offer it: the peer gathers only
// a TCP passive host candidate on a loopback listener. The listener remembers the connections
// it accepted so that a test can reset them abruptly (SO_LINGER 0: the far end sees a RST).

import (
	"net"
	"sync"

	"github.com/pion/logging"
	"github.com/pion/webrtc/v3"
)

type resettableListener struct {
	net.Listener
	mu    sync.Mutex
	conns []*net.TCPConn
}

func (l *resettableListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		l.mu.Lock()
		l.conns = append(l.conns, tcp)
		l.mu.Unlock()
	}
	return c, nil
}

// resetAll aborts every accepted connection and stops accepting; returns how many it reset.
func (l *resettableListener) resetAll() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.Listener.Close()
	for _, c := range l.conns {
		_ = c.SetLinger(0)
		_ = c.Close()
	}
	n := len(l.conns)
	l.conns = nil
	return n
}

// useTCPPassive restricts gathering to ICE-TCP on a fresh 127.0.0.1 listener.
func useTCPPassive(se *webrtc.SettingEngine) (*resettableListener, error) {
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &resettableListener{Listener: inner}
	logger := logging.NewDefaultLoggerFactory().NewLogger("icetcp")
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	se.SetICETCPMux(webrtc.NewICETCPMux(logger, l, 64))
	return l, nil
}
