package webtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the Chromium binary the browser tests drive.
// scripts/test sets it, so that a missing browser fails the run instead of
// skipping the tests silently; a plain `go test` without it looks for
// chromium on the PATH and skips, saying so, when there is none.
const ChromiumEnv = "PALABRE_CHROMIUM"

// Browser starts a headless Chromium for the test, with a fresh profile and
// none of its own network traffic (this machine's network is closed, and
// tests touch only 127.0.0.1), and returns a context that drives one tab.
// Each call is another browser: another person at another desk.
func Browser(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv(ChromiumEnv)
	if path == "" {
		var err error
		if path, err = exec.LookPath("chromium"); err != nil {
			t.Skipf("browser tests skipped: no chromium on the PATH and %s unset (scripts/test sets it; apt-get install -y chromium)", ChromiumEnv)
		}
	} else if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s=%s: %v", ChromiumEnv, path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	// Start the browser now, so that a broken install fails here, clearly.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// Run runs browser actions with a deadline, failing the test with what
// was being done when one fails.
func Run(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// Eval evaluates a JavaScript expression in the page and returns its value.
func Eval[T any](t testing.TB, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor evaluates a JavaScript expression until it is true, failing the
// test after 15 seconds. It survives navigations (a form sent, a page
// reloaded): an evaluation that fails while the page changes is retried.
func WaitFor(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("browser: waited 15 s for %s (%s); last error: %v", what, expr, last)
}
