package main

import (
	"math/rand"
	"sync/atomic"
	"time"
)

// The chaos test's agent faults (--chaos-seed): each call request draws whether it fails, and how,
// reproducibly from the seed and the request's sequence number.
const (
	agentDie     = "die"     // the peer connection closes a while after connecting
	agentHTTP500 = "http500" // the calls endpoint answers 500
	agentHang    = "hang"    // the calls endpoint never answers (until the client gives up)
)

var agentFaults = []string{agentDie, agentHTTP500, agentHang}

type agentPlan struct {
	Seq      int64
	Fault    string // "" when the call is left alone
	DieAfter time.Duration
}

// nextPlan numbers call requests from 1; request n's fault depends only on the seed and n.
func (s *server) nextPlan() agentPlan {
	p := agentPlan{Seq: atomic.AddInt64(&s.requests, 1)}
	if s.cfg.chaosSeed == 0 {
		return p
	}
	rng := rand.New(rand.NewSource(s.cfg.chaosSeed*1000003 + p.Seq))
	if rng.Float64() >= s.cfg.chaosRate {
		return p
	}
	p.Fault = s.chaosFaults[rng.Intn(len(s.chaosFaults))]
	if p.Fault == agentDie {
		p.DieAfter = s.cfg.dieAfter + time.Duration(rng.Int63n(int64(s.cfg.dieSpread)+1))
	}
	return p
}
