package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestBindPrecedence(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PALABRE_DB": "env.db", "PALABRE_ADDR": "127.0.0.1:9000", "PALABRE_STRICT": "true", "PALABRE_TIMEOUT": "5s"}
	var c Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if err := c.Bind(fs, func(k string) string { return env[k] }, DB, Addr, Strict, Timeout, BatchSize, Workspace); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--addr", "127.0.0.1:7000"}); err != nil {
		t.Fatal(err)
	}
	if c.DB != "env.db" || c.Addr != "127.0.0.1:7000" || !c.Strict || c.Timeout != 5*time.Second || c.BatchSize != 1000 || c.Workspace != "" {
		t.Fatalf("config %+v", c)
	}
	if fs.Lookup("db").Usage == "" || !strings.Contains(fs.Lookup("db").Usage, "PALABRE_DB") {
		t.Fatalf("help does not name the variable: %q", fs.Lookup("db").Usage)
	}
}

func TestBindDefaults(t *testing.T) {
	t.Parallel()
	var c Config
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if err := c.Bind(fs, func(string) string { return "" }, DB, Addr, Format); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if c.DB != DefaultDB || c.Addr != "127.0.0.1:8080" || c.Format != "auto" {
		t.Fatalf("defaults %+v", c)
	}
}

func TestBindRejectsBadEnvironment(t *testing.T) {
	t.Parallel()
	for k, v := range map[string]string{"PALABRE_STRICT": "maybe", "PALABRE_BATCH_SIZE": "-4", "PALABRE_TIMEOUT": "soon",
		"PALABRE_MAX_SECTORS": "0"} {
		var c Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		err := c.Bind(fs, func(key string) string {
			if key == k {
				return v
			}
			return ""
		}, Strict, BatchSize, Timeout, MaxSectors)
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: got %v, want an error naming it", k, v, err)
		}
	}
}

func TestBindMaxSectors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  string
		args []string
		want int
	}{
		{"", nil, 3},
		{"5", nil, 5},
		{"5", []string{"--max-sectors", "2"}, 2},
	} {
		var c Config
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		getenv := func(k string) string {
			if k == "PALABRE_MAX_SECTORS" {
				return tt.env
			}
			return ""
		}
		if err := c.Bind(fs, getenv, MaxSectors); err != nil {
			t.Fatal(err)
		}
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if c.MaxSectors != tt.want {
			t.Errorf("env %q, args %q: max sectors %d, want %d", tt.env, tt.args, c.MaxSectors, tt.want)
		}
	}
}
