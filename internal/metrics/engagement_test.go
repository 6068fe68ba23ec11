package metrics_test

import (
	"math"
	"strings"
	"testing"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

func TestEngaged(t *testing.T) {
	f, p := metricstest.March(t)
	f.Names = map[string]string{"ana": "Ana", "bruno": "Bruno"}
	got := metrics.Engaged(f, p, metrics.DefaultWeights(), 2)
	// Ana: 3 messages, 3 conversations, 3 days, 1 positive, 1 helpful (in
	// Bruno's conversation): 3 + 6 + 9 + 2 + 3 = 23. Bruno: 3 messages, 1
	// conversation, 2 days, 2 positive, 1 negative: 3 + 2 + 6 + 4 − 1 =
	// 14. Chloé: 1 + 2 + 3 = 6, third, left out.
	want := []metrics.Engagement{
		{MemberID: "ana", Name: "Ana", Score: 23, Messages: 3, Conversations: 3, Days: 3, Positive: 1, Helpful: 1},
		{MemberID: "bruno", Name: "Bruno", Score: 14, Messages: 3, Conversations: 1, Days: 2, Positive: 2, Negative: 1},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("engaged:\n got %+v\nwant %+v", got, want)
	}
	// Weighing negativity heavily puts Bruno last.
	got = metrics.Engaged(f, p, metrics.Weights{Messages: 1, Negative: 10}, 10)
	if len(got) != 3 || got[0].MemberID != "ana" || got[1].MemberID != "chloe" || got[2].Score != -7 {
		t.Errorf("against negativity: %+v", got)
	}
}

func TestWeightsValidate(t *testing.T) {
	if err := metrics.DefaultWeights().Validate(); err != nil {
		t.Fatal(err)
	}
	err := metrics.Weights{Messages: -1, Days: math.NaN(), Helpful: 1001}.Validate()
	if err == nil || !strings.Contains(err.Error(), "messages: -1") || !strings.Contains(err.Error(), "days: NaN") || !strings.Contains(err.Error(), "helpful: 1001") {
		t.Errorf("bad weights: %v", err)
	}
}
