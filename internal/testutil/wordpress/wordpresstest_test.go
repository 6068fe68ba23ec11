package wordpresstest

import (
	"strings"
	"testing"
)

// recorder stands for the test handed to Start, keeping how it ended.
type recorder struct {
	testing.TB
	skipped, fatal string
}

// ended stops Start where t.Skip or t.Fatal would.
type ended struct{}

func (r *recorder) Helper() {}

func (r *recorder) Skip(args ...any) {
	r.skipped = sprint(args)
	panic(ended{})
}

func (r *recorder) Fatal(args ...any) {
	r.fatal = sprint(args)
	panic(ended{})
}

func sprint(args []any) string {
	var b strings.Builder
	for _, a := range args {
		if s, ok := a.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

// start runs Start with a recorder and returns it once Start ended.
func start(t *testing.T) (r *recorder) {
	r = &recorder{TB: t}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(ended); !ok {
				panic(v)
			}
		}
	}()
	Start(r)
	t.Fatal("Start ran without PHP")
	return r
}

func TestStartWithoutThePackages(t *testing.T) {
	// PHP is looked for on PATH: an empty one hides it.
	t.Setenv("PATH", t.TempDir())
	t.Setenv("PALABRE_REQUIRE_WORDPRESS", "")
	r := start(t)
	if !strings.Contains(r.skipped, "php") || !strings.Contains(r.skipped, "apt-get install -y "+Packages) || r.fatal != "" {
		t.Errorf("skipped %q, fatal %q", r.skipped, r.fatal)
	}
	t.Setenv("PALABRE_REQUIRE_WORDPRESS", "1")
	r = start(t)
	if !strings.Contains(r.fatal, "apt-get install -y "+Packages) || !strings.Contains(r.fatal, "PALABRE_REQUIRE_WORDPRESS=1") || r.skipped != "" {
		t.Errorf("skipped %q, fatal %q", r.skipped, r.fatal)
	}
}

func TestPHPString(t *testing.T) {
	t.Parallel()
	if got := phpString(`a'b\c`); got != `'a\'b\\c'` {
		t.Errorf("phpString = %s", got)
	}
}
