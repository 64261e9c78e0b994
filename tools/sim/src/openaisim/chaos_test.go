package main

import (
	"testing"
	"time"
)

func TestAgentPlansDependOnSeedAndSequenceOnly(t *testing.T) {
	mk := func() *server {
		return &server{cfg: config{chaosSeed: 9, chaosRate: 0.3, dieAfter: time.Second,
			dieSpread: 5 * time.Second}, chaosFaults: agentFaults}
	}
	a, b := mk(), mk()
	count := map[string]int{}
	for i := 0; i < 400; i++ {
		pa, pb := a.nextPlan(), b.nextPlan()
		if pa != pb {
			t.Fatalf("request %d: %+v vs %+v", i+1, pa, pb)
		}
		count[pa.Fault]++
		if pa.Fault == agentDie && (pa.DieAfter < time.Second || pa.DieAfter > 6*time.Second) {
			t.Fatalf("die after %v", pa.DieAfter)
		}
	}
	if count[""] < 220 || count[""] > 340 {
		t.Errorf("%d of 400 requests left alone at rate 0.3", count[""])
	}
	for _, f := range agentFaults {
		if count[f] == 0 {
			t.Errorf("fault %s never drawn", f)
		}
	}
	off := &server{}
	if p := off.nextPlan(); p.Fault != "" || p.Seq != 1 {
		t.Errorf("without a seed: %+v", p)
	}
}
