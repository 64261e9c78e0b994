package main

import (
	"fmt"
	"math/rand"
	"net"
	"time"

	"simcore"
)

// The chaos test's faults (--chaos-seed): each call gets one, reproducibly from the seed.
const (
	faultNormal         = "normal"          // an ordinary call
	faultSilent         = "silent"          // the phone goes dead after accept: no RTP, no STUN answers
	faultGarbage        = "garbage"         // random datagrams hit the business's candidates
	faultGarbageCaller  = "garbage_caller"  // ... from the caller's own socket, once accepted
	faultDupConnect     = "dup_connect"     // the connect webhook arrives twice
	faultDupTerminate   = "dup_terminate"   // the terminate webhook arrives twice
	faultTerminateFirst = "terminate_first" // the terminate webhook overtakes its connect
)

var metaFaults = []string{faultNormal, faultSilent, faultGarbage, faultGarbageCaller, faultDupConnect,
	faultDupTerminate, faultTerminateFirst}

// plan is what one call does.
type plan struct {
	Fault       string
	StartDelay  time.Duration // after the run starts (concurrent calls are spread over --chaos-ramp)
	HangupAfter time.Duration // after accept
	SilentAfter time.Duration // after accept, with faultSilent
	Seed        int64         // for the call's own random choices (garbage bytes)
}

// makePlans gives every call its plan. Without a seed all calls are normal and use the flags as
// given. With one, the kinds take turns over the calls and a seeded shuffle spreads them (so every
// kind appears when there are at least as many calls as kinds); hang-up times vary ±50 %.
func makePlans(cfg config, kinds []string) []plan {
	plans := make([]plan, cfg.calls)
	if cfg.chaosSeed == 0 {
		for i := range plans {
			plans[i] = plan{Fault: faultNormal, HangupAfter: cfg.hangupAfter}
		}
		return plans
	}
	rng := rand.New(rand.NewSource(cfg.chaosSeed))
	order := rng.Perm(cfg.calls)
	for i := range plans {
		p := &plans[order[i]]
		p.Fault = kinds[i%len(kinds)]
		p.Seed = rng.Int63()
		if cfg.chaosRamp > 0 {
			p.StartDelay = time.Duration(rng.Int63n(int64(cfg.chaosRamp)))
		}
		p.HangupAfter = cfg.hangupAfter/2 + time.Duration(rng.Int63n(int64(cfg.hangupAfter)+1))
		p.SilentAfter = time.Second + time.Duration(rng.Int63n(int64(2*time.Second)))
	}
	return plans
}

func (p plan) fields(callID string, index int) simcore.F {
	f := simcore.F{"call_id": callID, "index": index, "fault": p.Fault,
		"start_delay_ms": p.StartDelay.Milliseconds(), "hangup_after_ms": p.HangupAfter.Milliseconds()}
	if p.Fault == faultSilent {
		f["silent_after_ms"] = p.SilentAfter.Milliseconds()
		delete(f, "hangup_after_ms")
	}
	return f
}

// terminateFirst delivers the call's terminate before its connect (the caller hung up while it
// rang and Meta's deliveries crossed). The call is over for Meta from the start: any Graph action
// the business still tries is logged and refused. Watches for --chaos-observe, then reports.
func (c *call) terminateFirst(connectBody []byte) result {
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
	now := time.Now()
	item := map[string]interface{}{"id": c.id, "from": c.caller, "to": c.s.cfg.displayNumber,
		"event": "terminate", "direction": "USER_INITIATED", "timestamp": fmt.Sprint(now.Unix()),
		"status": "COMPLETED"}
	c.s.log.Event("terminate", simcore.F{"call_id": c.id, "status": "COMPLETED",
		"cause": "terminate_before_connect", "duration": 0, "packets_sent": 0, "packets_received": 0})
	c.s.postWebhook(c.id, "terminate", c.s.envelopeFor(c.number, c.caller, item, nil))
	c.s.postWebhook(c.id, "connect", connectBody)
	time.Sleep(c.s.cfg.chaosObserve)
	_ = c.pc.Close()
	recPackets, _, _ := c.recorder.Close()
	c.mu.Lock()
	actions := append([]string{}, c.actions...)
	c.mu.Unlock()
	return result{CallID: c.id, PhoneNumberID: c.number, Outcome: "terminated_first", Cause: "terminate_before_connect",
		Status: "COMPLETED", GraphActions: actions, RecordedPackets: recPackets, Fault: c.plan.Fault}
}

// startGarbage sprays the business's candidates (from its answer) until the call ends: from a
// socket of its own (an off-path stranger), or with from set, from the caller's own socket, so
// the datagrams come from the address of the selected candidate pair.
func (c *call) startGarbage(answer string, from net.PacketConn) {
	targets := simcore.CandidateAddrs(answer)
	if len(targets) == 0 {
		c.s.log.Event("garbage_no_targets", simcore.F{"call_id": c.id})
		return
	}
	sp, err := simcore.Spray(from, targets, c.plan.Seed, 5*time.Millisecond)
	if err != nil {
		c.s.log.Event("garbage_failed", simcore.F{"call_id": c.id, "error": err.Error()})
		return
	}
	names := []string{}
	for _, t := range targets {
		names = append(names, t.String())
	}
	c.mu.Lock()
	ended := c.ended
	if !ended {
		c.sprayer = sp
	}
	c.mu.Unlock()
	if ended {
		sp.Stop()
		return
	}
	source := "own_socket"
	if from != nil {
		source = from.LocalAddr().String() + " (the caller's)"
	}
	c.s.log.Event("garbage_started", simcore.F{"call_id": c.id, "targets": names, "from": source})
}

// goSilent kills the phone without a goodbye; the business must notice (ICE consent) and end the
// call with Graph terminate. If it never does, the call fails here after --silence-limit.
func (c *call) goSilent() {
	if c.isEnded() {
		return
	}
	c.gate.Silence()
	c.pacer.Stop()
	c.s.log.Event("caller_silent", simcore.F{"call_id": c.id})
	time.AfterFunc(c.s.cfg.silenceLimit, func() {
		if c.isEnded() {
			return
		}
		c.s.log.Event("silence_not_noticed", simcore.F{"call_id": c.id})
		c.end("FAILED", []interface{}{metaError(138021, "Media receive timeout",
			"The business never noticed the silent caller")}, "silence_not_noticed")
	})
}
