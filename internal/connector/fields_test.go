package connector

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

// kindValue decodes to a value that tells which method decoded it.
type kindValue struct{ err error }

func (v kindValue) Text(string) (string, error)     { return "text", v.err }
func (v kindValue) ID(string) (string, error)       { return "id", v.err }
func (v kindValue) Bool(string) (*bool, error)      { return new(true), v.err }
func (v kindValue) Number(string) (*float64, error) { return new(0.5), v.err }
func (v kindValue) Time(string) (time.Time, error)  { return time.Unix(1, 0), v.err }
func (v kindValue) Topics(string) ([]string, error) { return []string{"t"}, v.err }

// TestSetFieldCoversEveryField sets each field of model.Message by its
// JSON name and checks that exactly that field changes, so that a field
// added to the model cannot be forgotten by the line formats.
func TestSetFieldCoversEveryField(t *testing.T) {
	t.Parallel()
	ids := map[string]bool{"external_id": true, "parent_external_id": true, "conversation_external_id": true, "member_id": true}
	typ := reflect.TypeFor[model.Message]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		var m model.Message
		if err := SetField(&m, name, kindValue{}); err != nil {
			t.Fatalf("SetField(%q): %v", name, err)
		}
		v := reflect.ValueOf(m)
		for j := range v.NumField() {
			if set := !v.Field(j).IsZero(); set != (i == j) {
				t.Errorf("SetField(%q) set %s: %v", name, typ.Field(j).Name, set)
			}
		}
		if f := v.Field(i); f.Kind() == reflect.String {
			want := map[bool]string{true: "id", false: "text"}[ids[name]]
			if f.String() != want {
				t.Errorf("SetField(%q) decoded %q, want the %s", name, f.String(), want)
			}
		}
	}
}

func TestSetFieldIgnoresUnknownNames(t *testing.T) {
	t.Parallel()
	var m model.Message
	for _, name := range []string{"", "Body", "new_field", "author_is_staff "} {
		if err := SetField(&m, name, kindValue{}); err != nil {
			t.Errorf("SetField(%q): %v", name, err)
		}
	}
	if !reflect.ValueOf(m).IsZero() {
		t.Errorf("unknown names changed the message: %+v", m)
	}
}

func TestSetFieldReturnsDecoderError(t *testing.T) {
	t.Parallel()
	boom := errors.New("bad value")
	for _, name := range []string{"channel", "external_id", "author_is_staff", "spam", "sentiment_score", "created_at", "topics"} {
		var m model.Message
		if err := SetField(&m, name, kindValue{err: boom}); !errors.Is(err, boom) {
			t.Errorf("SetField(%q) error %v, want %v", name, err, boom)
		}
	}
}
