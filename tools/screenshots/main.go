// Command screenshots takes the README's pictures of the web console from
// the real demo: it builds palabre, runs `palabre demo` on a throw-away
// database, signs in as the demo's CM and manager in headless Chromium,
// and saves PNGs under docs/screenshots. Run it from the repository's root
// with scripts/screenshots.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	out := flag.String("out", "docs/screenshots", "folder to write the PNG files to")
	chromium := flag.String("chromium", "chromium", "the Chromium binary to drive")
	flag.Parse()
	if err := run(*out, *chromium); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

var (
	servingLine  = regexp.MustCompile(`serving at (http://\S+?)/? `)
	passwordLine = regexp.MustCompile(`password: (\S+)`)
)

func run(out, chromium string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "palabre-shots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "palabre")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/palabre")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build palabre: %w", err)
	}
	demo := exec.CommandContext(ctx, bin, "demo", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "demo.db"))
	demo.Stderr = io.Discard
	stdout, err := demo.StdoutPipe()
	if err != nil {
		return err
	}
	if err := demo.Start(); err != nil {
		return fmt.Errorf("start the demo: %w", err)
	}
	defer func() {
		_ = demo.Process.Signal(os.Interrupt)
		_ = demo.Wait()
	}()
	base, password, err := readDemo(stdout)
	if err != nil {
		return err
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1440, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	shot := func(login, path, file string, ready string, phone bool) error {
		bctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		viewport := chromedp.EmulateReset()
		if phone {
			viewport = chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))
		}
		err := chromedp.Do(bctx, viewport,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.CSS(`#login`), login),
			chromedp.SendKeys(chromedp.CSS(`#password`), password),
			chromedp.Submit(chromedp.CSS(`#password`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page=inbox]`)),
			chromedp.Navigate(base+path),
			chromedp.WaitVisible(chromedp.CSS(ready)),
			chromedp.Sleep(300*time.Millisecond),
		)
		var png []byte
		if err == nil {
			png, err = chromedp.Run(bctx, chromedp.CaptureScreenshot())
		}
		if err != nil {
			return fmt.Errorf("%s as %s: %w", path, login, err)
		}
		name := filepath.Join(out, file)
		if err := os.WriteFile(name, png, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", name)
		return nil
	}
	// The conversation: the inbox's first conversation with a thread.
	var convPath string
	{
		bctx, cancel := chromedp.NewContext(actx)
		err := chromedp.Do(bctx,
			chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.CSS(`#login`), "lea"),
			chromedp.SendKeys(chromedp.CSS(`#password`), password),
			chromedp.Submit(chromedp.CSS(`#password`)),
			chromedp.WaitVisible(chromedp.CSS(`body[data-page=inbox]`)),
			chromedp.Navigate(base+"/inbox?view=all&sentiment=neg"),
			chromedp.WaitVisible(chromedp.CSS(`.rows`)),
		)
		if err == nil {
			convPath, err = chromedp.Run(bctx, chromedp.Evaluate[string](`(Array.from(document.querySelectorAll('.rows .row a.open')).find(a => a.closest('.row').textContent.match(/\(\d+\)/)) || document.querySelector('.rows .row a.open')).getAttribute('href')`))
		}
		cancel()
		if err != nil {
			return fmt.Errorf("find a conversation: %w", err)
		}
	}
	for _, s := range []struct {
		login, path, file, ready string
		phone                    bool
	}{
		{"nadia", "/inbox", "inbox.png", ".rows", false},
		{"lea", convPath, "conversation.png", "#thread", false},
		{"nadia", "/settings/workspaces/velo-atelier/team", "settings.png", "#main", false},
		{"lea", "/inbox", "inbox-phone.png", ".rows", true},
		{"nadia", "/reports/velo-atelier?every=week", "reports.png", ".charts svg", false},
	} {
		if err := shot(s.login, s.path, s.file, s.ready, s.phone); err != nil {
			return err
		}
	}
	return nil
}

// readDemo reads the demo's address and password from what it prints.
func readDemo(r io.Reader) (base, password string, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := servingLine.FindStringSubmatch(line + " "); m != nil {
			base = m[1]
		}
		if m := passwordLine.FindStringSubmatch(line); m != nil {
			password = m[1]
		}
		if base != "" && password != "" {
			return base, password, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	return "", "", errors.New("the demo stopped before printing its address and password")
}
