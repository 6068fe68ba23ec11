package sla

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDurationJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		json string
	}{
		{0, `"0s"`},
		{90 * time.Minute, `"1h30m"`},
		{4 * time.Hour, `"4h"`},
		{30 * time.Minute, `"30m"`},
		{48 * time.Hour, `"48h"`},
		{90 * time.Second, `"1m30s"`},
		{time.Hour + time.Second, `"1h0m1s"`},
		{1500 * time.Millisecond, `"1.5s"`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(Duration(tt.d))
		if err != nil || string(b) != tt.json {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.d, b, err, tt.json)
		}
		var got Duration
		if err := json.Unmarshal([]byte(tt.json), &got); err != nil || time.Duration(got) != tt.d {
			t.Errorf("Unmarshal(%s) = %v, %v; want %v", tt.json, time.Duration(got), err, tt.d)
		}
	}
}

func TestDurationUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		err  string // substring; "" means no error
	}{
		{`"90m"`, 90 * time.Minute, ""},
		{`"1h30m0s"`, 90 * time.Minute, ""},
		{`"0"`, 0, ""},
		{`"-1h"`, -time.Hour, ""}, // Settings.Validate refuses it
		{`null`, 7, ""},           // left as it was
		{`"2d"`, 0, "days are ambiguous"},
		{`"1d12h"`, 0, "days are ambiguous"},
		{`"soon"`, 0, "want a duration such as 4h"},
		{`""`, 0, "want a duration"},
		{`3600`, 0, "cannot unmarshal"},
	}
	for _, tt := range tests {
		got := Duration(7)
		err := json.Unmarshal([]byte(tt.in), &got)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Unmarshal(%s) error %v, want one with %q", tt.in, err, tt.err)
		case tt.err == "" && time.Duration(got) != tt.want:
			t.Errorf("Unmarshal(%s) = %v, want %v", tt.in, time.Duration(got), tt.want)
		}
	}
}
