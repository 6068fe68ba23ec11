package store

import "strings"

// CorrectedFields is the set of analysis fields a CM corrected on a
// message, as bits.
type CorrectedFields int64

// Correctable fields.
const (
	CorrectedSentiment CorrectedFields = 1 << iota
	CorrectedIntent
	CorrectedSpam
	CorrectedNeedsResponse
)

var correctedNames = [...]struct {
	bit  CorrectedFields
	name string
}{
	{CorrectedSentiment, "sentiment"},
	{CorrectedIntent, "intent"},
	{CorrectedSpam, "spam"},
	{CorrectedNeedsResponse, "needs_response"},
}

// CorrectedField returns the bit of a field name, or 0.
func CorrectedField(name string) CorrectedFields {
	for _, c := range correctedNames {
		if c.name == name {
			return c.bit
		}
	}
	return 0
}

// Names lists the corrected fields by name.
func (c CorrectedFields) Names() []string {
	var out []string
	for _, n := range correctedNames {
		if c&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String lists the corrected fields, comma-separated.
func (c CorrectedFields) String() string { return strings.Join(c.Names(), ",") }

// MarshalText writes the fields comma-separated, so JSON shows names.
func (c CorrectedFields) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
