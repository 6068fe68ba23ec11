package version

import (
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	in := Read()
	if in.Version == "" || in.Go == "" {
		t.Fatalf("read %+v", in)
	}
	if s := (Info{Version: "v1.2.0", Commit: "0123456789ab", Go: "go1.26.8"}).String(); s != "palabre v1.2.0 0123456789ab (go1.26.8)" {
		t.Errorf("String: %q", s)
	}
	if ua := in.UserAgent(); !strings.HasPrefix(ua, "palabre/"+in.Version+" ") {
		t.Errorf("UserAgent %q does not name palabre and its version", ua)
	}
}
