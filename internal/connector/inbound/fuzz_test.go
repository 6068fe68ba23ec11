package inbound

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"palabre/internal/connector"
	"palabre/internal/webhook"
)

// FuzzParse: Parse never panics, returns records only for an object body,
// and a record it does not refuse is a valid message.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		string(testBody),
		`{"messages":[{"external_id":"a","body":"x","created_at":"2024-05-03T12:00:00Z"},{"external_id":"b"}]}`,
		`{"messages":[]}`, `{"messages":null}`, `[]`, `{}`, `  {"messages" : [ 1 , "x" , null , {} ] }  `,
		`{"external_id":"a","body":"x","created_at":"2024-05-03T12:00:00Z","topics":["a; b"]}`,
		"{\"external_id\":\"a\u2028\",\"body\":\"x\",\"created_at\":\"2024-05-03T12:00:00Z\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, err := Parse(body)
		var be *BatchError
		switch {
		case err == nil:
			if len(recs) == 0 || len(recs) > MaxMessages {
				t.Fatalf("%d records without error", len(recs))
			}
		case errors.As(err, &be):
			if len(recs) != be.Total || len(be.Errors) == 0 {
				t.Fatalf("%d records, batch error %v", len(recs), be)
			}
		default:
			if recs != nil {
				t.Fatalf("records with error %v", err)
			}
			return
		}
		if !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
			t.Fatalf("records from a body that is no object: %q", body)
		}
		for i, r := range recs {
			if r.Pos.Offset < 0 || r.Pos.Offset >= int64(len(body)) {
				t.Fatalf("record %d offset %d outside the body", i, r.Pos.Offset)
			}
			if r.Err != nil {
				var me *MessageError
				if !errors.As(r.Err, &me) {
					t.Fatalf("record %d error %v is no MessageError", i, r.Err)
				}
				continue
			}
			if r.Message.Channel != "" {
				t.Fatalf("channel %q kept", r.Message.Channel)
			}
			if err := connector.Validate(&r.Message); err != nil {
				t.Fatalf("record %d is invalid: %v", i, err)
			}
		}
	})
}

// FuzzVerifyHeader: whatever the header, Verify never panics, and what it
// accepts is bound to the secret and the body.
func FuzzVerifyHeader(f *testing.F) {
	good := webhook.Sign(testSecret, testTime, testBody)
	_, sig, _ := strings.Cut(good, ",")
	for _, seed := range []string{
		good, sig + ",t=1714737600", good + "," + sig, "t=1714737600", sig, "", ",", "=", "t=,v1=",
		"t=1714737600,v1=" + strings.Repeat("0", 64), "t=-1," + sig, "t=+1714737600," + sig, "t=1714737600 ," + sig,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		err := Verify(testSecret, header, testBody, testTime, 0)
		if err == nil {
			if Verify([]byte("whsec_other"), header, testBody, testTime, 0) == nil {
				t.Fatalf("%q verifies with two secrets", header)
			}
			if Verify(testSecret, header, append(bytes.Clone(testBody), ' '), testTime, 0) == nil {
				t.Fatalf("%q verifies two bodies", header)
			}
			if !strings.Contains(strings.ToLower(header), sig[len("v1="):]) { // hex in either case
				t.Fatalf("%q verifies without the signature", header)
			}
			return
		}
		for _, sentinel := range []error{webhook.ErrMalformedSignature, webhook.ErrSignatureMismatch, webhook.ErrTimestampOutOfRange} {
			if errors.Is(err, sentinel) {
				return
			}
		}
		t.Fatalf("Verify(%q) = %v, none of the documented errors", header, err)
	})
}
