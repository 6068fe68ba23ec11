package sla

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a span of business time, written in JSON as a Go duration
// string such as "4h", "30m" or "1h30m". Zero means no target.
//
// Days ("2d") are refused on purpose: in business time a day could mean
// 24 hours or one working day, and the two differ by a factor of three.
type Duration time.Duration

// String returns d as "1h30m", without the trailing zero units of
// time.Duration's form ("1h30m0s").
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText writes d as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string such as "4h" or "1h30m".
func (d *Duration) UnmarshalText(text []byte) error {
	s := string(text)
	v, err := time.ParseDuration(s)
	if err != nil {
		if strings.Contains(s, "d") {
			return fmt.Errorf("duration %q: days are ambiguous in business time; write hours, such as 48h", s)
		}
		return fmt.Errorf("duration %q: want a duration such as 4h, 30m or 1h30m", s)
	}
	*d = Duration(v)
	return nil
}
