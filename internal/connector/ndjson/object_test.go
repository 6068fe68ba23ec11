package ndjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"
)

// tokenMembers is the slow reference for members: json.Decoder's tokens.
func tokenMembers(obj []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%q=%s", tok, v))
	}
	return out, nil
}

func walk(obj []byte) []string {
	var out []string
	members(obj, func(k string, v []byte) error {
		out = append(out, fmt.Sprintf("%q=%s", k, v))
		return nil
	})
	return out
}

func TestMembers(t *testing.T) {
	t.Parallel()
	for _, obj := range []string{
		`{}`,
		` { "a" : 1 , "b":"x,}" ,"c":[1,{"d":"]"}], "e":{"f":null}, "g":true,"h":-1.5e3 } `,
		`{"k\"ey":"v\\\"","\u00e9":"\u00e9"}`,
		`{"a":"","b":[],"c":{}}`,
	} {
		want, err := tokenMembers([]byte(obj))
		if err != nil {
			t.Fatal(err)
		}
		if got := walk([]byte(obj)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", obj, got, want)
		}
	}
}

// FuzzMembers checks the fast walk against json.Decoder on every valid
// UTF-8 JSON object.
func FuzzMembers(f *testing.F) {
	f.Add([]byte(`{"external_id":"a","body":"b\n","topics":["x","y"],"n":{"o":[1,2]}}`))
	f.Add([]byte(`{"a\\":"\"}","b":  [ "]" , {"c":"{"} ] }`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// decodeLine rejects invalid UTF-8 before walking a line.
		if !utf8.Valid(b) || !json.Valid(b) || bytes.TrimSpace(b)[0] != '{' {
			return
		}
		want, err := tokenMembers(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := walk(bytes.TrimSpace(b)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	})
}
