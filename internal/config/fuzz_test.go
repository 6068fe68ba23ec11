package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// FuzzBind feeds every setting a value from the environment and from the
// command line, as an operator may type anything: Bind and the flag set's
// parsing never panic, and a value Bind refuses is refused with the name
// of the variable that holds it.
func FuzzBind(f *testing.F) {
	for _, v := range []string{"", "true", "0", "-1", "5s", "-5s", "99999999999999999999", "a,b,,c", "127.0.0.1:8080", "\x00", "1e9h"} {
		f.Add(v, v)
	}
	f.Fuzz(func(t *testing.T, env, arg string) {
		// One setting at a time: some share a flag name (--format) and no
		// command asks for both.
		for s := DB; s <= Mail; s++ {
			var c Config
			fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			err := c.Bind(fs, func(string) string { return env }, s)
			if err != nil && !strings.Contains(err.Error(), "PALABRE_") {
				t.Fatalf("Bind(setting %d) with every variable %q: %v, naming no variable", s, env, err)
			}
			fs.VisitAll(func(fl *flag.Flag) {
				_ = fl.Value.Set(arg)
				_ = fl.Value.String()
			})
		}
	})
}
