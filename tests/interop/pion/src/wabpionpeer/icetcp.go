package main

// ICE-TCP (RFC 6544) passive side, the way OpenAI's answer can offer it: the peer gathers only
// a TCP passive host candidate on a loopback listener. The listener remembers the connections
// it accepted so that a test can reset them abruptly (SO_LINGER 0: the far end sees a RST).

import (
	"net"
	"strconv"
	"strings"
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

// useTCPPassive restricts gathering to ICE-TCP on a fresh 127.0.0.1 listener; withUDP keeps the
// UDP host candidate beside it (the answer then offers both, as a server reachable both ways).
func useTCPPassive(se *webrtc.SettingEngine, withUDP bool) (*resettableListener, error) {
	inner, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &resettableListener{Listener: inner}
	logger := logging.NewDefaultLoggerFactory().NewLogger("icetcp")
	types := []webrtc.NetworkType{webrtc.NetworkTypeTCP4}
	if withUDP {
		types = append(types, webrtc.NetworkTypeUDP4)
	}
	se.SetNetworkTypes(types)
	se.SetICETCPMux(webrtc.NewICETCPMux(logger, l, 64))
	return l, nil
}

// udpBlackhole is a UDP socket nobody reads: a candidate naming its port gets no answer to any
// check and no ICMP error, as behind a firewall that drops UDP.
type udpBlackhole struct {
	conn *net.UDPConn
}

func newUDPBlackhole() (*udpBlackhole, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	return &udpBlackhole{conn: c}, nil
}

// redirect makes every UDP candidate of `sdp` name the blackhole's port instead of its own.
func (b *udpBlackhole) redirect(sdp string) string {
	port := strconv.Itoa(b.conn.LocalAddr().(*net.UDPAddr).Port)
	lines := strings.Split(sdp, "\r\n")
	for i, l := range lines {
		// a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
		f := strings.Fields(l)
		if strings.HasPrefix(l, "a=candidate:") && len(f) > 5 && strings.EqualFold(f[2], "udp") {
			f[5] = port
			lines[i] = strings.Join(f, " ")
		}
	}
	return strings.Join(lines, "\r\n")
}
