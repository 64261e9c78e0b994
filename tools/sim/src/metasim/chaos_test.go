package main

import (
	"reflect"
	"testing"
	"time"
)

func TestPlansAreReproducibleAndCoverEveryFault(t *testing.T) {
	cfg := config{calls: 50, chaosSeed: 42, hangupAfter: 8 * time.Second, chaosRamp: 2 * time.Second}
	a, b := makePlans(cfg, metaFaults), makePlans(cfg, metaFaults)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different plans")
	}
	count := map[string]int{}
	for _, p := range a {
		count[p.Fault]++
		if p.HangupAfter < 4*time.Second || p.HangupAfter > 12*time.Second || p.StartDelay >= 2*time.Second {
			t.Fatalf("plan out of range: %+v", p)
		}
	}
	for _, f := range metaFaults {
		if count[f] < 50/len(metaFaults) {
			t.Errorf("fault %s: %d calls", f, count[f])
		}
	}
	cfg.chaosSeed = 43
	if reflect.DeepEqual(a, makePlans(cfg, metaFaults)) {
		t.Error("another seed, same plans")
	}
	cfg.chaosSeed = 0
	for _, p := range makePlans(cfg, metaFaults) {
		if p.Fault != faultNormal || p.HangupAfter != cfg.hangupAfter || p.StartDelay != 0 {
			t.Fatalf("without a seed: %+v", p)
		}
	}
}
