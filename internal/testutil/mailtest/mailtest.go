// Package mailtest runs real mail servers for a test: Dovecot (IMAP, and
// LMTP for delivery) and Postfix (SMTP), listening on 127.0.0.1 only, with
// their configuration, queue and mailboxes in a throw-away directory, and
// stopped when the test ends. A test sends over SMTP and reads back over
// IMAP exactly as palabre does in production.
//
// Without the servers' binaries the tests skip, naming the Debian
// packages to install (scripts/testenv/mail.txt) — unless
// PALABRE_REQUIRE_MAIL=1, which turns the skip into a failure so that a CI
// run cannot pass without testing e-mail.
package mailtest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Domain is the mail domain the servers hold mailboxes for. Mail to any
// other domain bounces at once: nothing ever leaves the machine.
const Domain = "example.test"

// Packages are the Debian packages the servers come from.
const Packages = "dovecot-imapd dovecot-lmtpd postfix"

// startTimeout bounds how long the servers may take to listen.
const startTimeout = 20 * time.Second

// Server is a running Dovecot and Postfix pair.
type Server struct {
	// IMAPAddr is Dovecot's IMAP listener: STARTTLS is offered, and
	// logging in with a clear password is allowed without it.
	IMAPAddr string
	// IMAPSAddr is Dovecot's IMAP listener with implicit TLS.
	IMAPSAddr string
	// SMTPAddr is Postfix's SMTP listener: it takes mail for Domain from
	// 127.0.0.1, with or without AUTH (PLAIN or LOGIN, checked by
	// Dovecot against the same users), offers STARTTLS, and delivers to
	// Dovecot.
	SMTPAddr string
	// SMTPSAddr is the same SMTP server with implicit TLS.
	SMTPSAddr string
	// RootCAs holds the certificate both servers present, issued for
	// 127.0.0.1 and made for this run.
	RootCAs *x509.CertPool

	dir      string // everything the servers write
	doveConf string
	doveadm  string
	users    string // a passwd-file per user
}

type binaries struct {
	dovecot, doveadm, postfix, postconf string
	daemonDir, metaDir                  string // Postfix's daemons, and its postfix-files
}

func findBinaries() (binaries, error) {
	var b binaries
	var missing []string
	for _, x := range []struct {
		name string
		dst  *string
	}{{"dovecot", &b.dovecot}, {"doveadm", &b.doveadm}, {"postfix", &b.postfix}, {"postconf", &b.postconf}} {
		p, err := exec.LookPath(x.name)
		if err != nil {
			// /usr/sbin is not on every user's PATH.
			if _, statErr := os.Stat("/usr/sbin/" + x.name); statErr == nil {
				p, err = "/usr/sbin/"+x.name, nil
			}
		}
		if err != nil {
			missing = append(missing, x.name)
			continue
		}
		*x.dst = p
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("%s not found", strings.Join(missing, ", "))
	}
	out, err := exec.Command(b.postconf, "-dh", "daemon_directory", "meta_directory").Output()
	dirs := strings.Fields(string(out))
	if err != nil || len(dirs) != 2 {
		return b, fmt.Errorf("postconf: %q, %v", out, err)
	}
	b.daemonDir, b.metaDir = dirs[0], dirs[1]
	if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
		return b, errors.New("the LMTP server of Dovecot (/usr/lib/dovecot/lmtp) not found")
	}
	if os.Geteuid() != 0 {
		return b, errors.New("the tests run Postfix, which needs root")
	}
	return b, nil
}

// unavailable skips t, or fails it under PALABRE_REQUIRE_MAIL=1.
func unavailable(t testing.TB, why error) {
	t.Helper()
	msg := fmt.Sprintf("mail servers unavailable: %v (they come from Debian's %s, see scripts/testenv/mail.txt)", why, Packages)
	if os.Getenv("PALABRE_REQUIRE_MAIL") == "1" {
		t.Fatal(msg + " (PALABRE_REQUIRE_MAIL=1)")
	}
	t.Skip(msg)
}

// Start runs the servers for t and stops them, removing their files, when
// t ends. Each call starts a pair of its own, in about two seconds (most
// of it Postfix's), so a test suite shares one, a mailbox per test.
func Start(t testing.TB) *Server {
	t.Helper()
	began := time.Now()
	bins, err := findBinaries()
	if err != nil {
		unavailable(t, err)
	}
	// Unix sockets live under dir, whose path must stay short.
	dir, err := os.MkdirTemp("", "mailtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	s := &Server{
		IMAPAddr:  addr(0),
		IMAPSAddr: addr(1),
		SMTPAddr:  addr(2),
		SMTPSAddr: addr(3),
		dir:       dir,
		doveadm:   bins.doveadm,
	}
	if s.RootCAs, err = writeCertificate(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.startDovecot(t, bins, dovecotSettings{imap: ports[0], imaps: ports[1], lmtp: ports[4], auth: ports[5]}); err != nil {
		t.Fatalf("start Dovecot: %v\n%s", err, s.Logs())
	}
	if err := s.startPostfix(t, bins, addr(4), addr(5)); err != nil {
		t.Fatalf("start Postfix: %v\n%s", err, s.Logs())
	}
	t.Logf("mailtest: Dovecot and Postfix ready in %s", time.Since(began).Round(time.Millisecond))
	return s
}

// freePorts finds n ports free on 127.0.0.1. Another process could take
// one before the server does; on this test machine none does.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// accounts are the system users the servers run as: as root, the
// unprivileged users the packages create; otherwise the current user.
type accounts struct {
	internal, internalGroup, login string
	mailUID, mailGID               int
}

func serverAccounts() (accounts, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return accounts{}, err
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return accounts{}, err
		}
		return accounts{internal: u.Username, internalGroup: g.Name, login: u.Username,
			mailUID: os.Geteuid(), mailGID: os.Getegid()}, nil
	}
	mail, err := user.Lookup("mail")
	if err != nil {
		return accounts{}, fmt.Errorf("the mail user: %w", err)
	}
	uid, _ := strconv.Atoi(mail.Uid)
	gid, _ := strconv.Atoi(mail.Gid)
	return accounts{internal: "dovecot", internalGroup: "dovecot", login: "dovenull", mailUID: uid, mailGID: gid}, nil
}

func (s *Server) startDovecot(t testing.TB, bins binaries, set dovecotSettings) error {
	acc, err := serverAccounts()
	if err != nil {
		return err
	}
	conf := filepath.Join(s.dir, "dovecot")
	for _, d := range []string{conf, filepath.Join(s.dir, "mail")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chown(filepath.Join(s.dir, "mail"), acc.mailUID, acc.mailGID); err != nil {
		return err
	}
	// One passwd-file per user: Dovecot rereads a changed file at most
	// once a second, too slowly for tests adding users as they go.
	s.users = filepath.Join(conf, "users")
	if err := os.MkdirAll(s.users, 0o755); err != nil {
		return err
	}
	s.doveConf = filepath.Join(conf, "dovecot.conf")
	set.dir, set.users, set.acc = s.dir, s.users, acc
	text := dovecotConf(set)
	if err := os.WriteFile(s.doveConf, []byte(text), 0o644); err != nil {
		return err
	}
	if err := runForeground(t, s.dir, "dovecot", exec.Command(bins.dovecot, "-F", "-c", s.doveConf)); err != nil {
		return err
	}
	return waitGreeting(s.IMAPAddr, "* OK")
}

func (s *Server) startPostfix(t testing.TB, bins binaries, lmtpAddr, authAddr string) error {
	conf := filepath.Join(s.dir, "postfix", "conf")
	for _, d := range []string{conf, filepath.Join(s.dir, "postfix", "spool"), filepath.Join(s.dir, "postfix", "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := chownTo(filepath.Join(s.dir, "postfix", "data"), "postfix", "postfix"); err != nil {
		return err
	}
	main := postfixMainCf(s.dir, lmtpAddr, authAddr)
	services := postfixMasterCf(s.SMTPAddr, s.SMTPSAddr)
	if err := os.WriteFile(filepath.Join(conf, "main.cf"), []byte(main), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(conf, "master.cf"), []byte(services), 0o644); err != nil {
		return err
	}
	if err := makeQueue(filepath.Join(s.dir, "postfix", "spool"), bins.metaDir); err != nil {
		return err
	}
	// The master runs in the foreground (-d), as a child of the test in
	// its process group: "postfix start" would detach it into a session
	// of its own, which outlives a test that dies.
	master := filepath.Join(bins.daemonDir, "master")
	if err := runForeground(t, s.dir, "postfix", exec.Command(master, "-c", conf, "-d")); err != nil {
		return err
	}
	return waitGreeting(s.SMTPAddr, "220 ")
}

// makeQueue creates the directories of a Postfix queue, with the owners
// and modes listed in postfix-files, as "postfix check" would, but without
// its two seconds of checks.
func makeQueue(queue, metaDir string) error {
	list, err := os.ReadFile(filepath.Join(metaDir, "postfix-files"))
	if err != nil {
		return err
	}
	owners := map[string]string{"$mail_owner": "postfix", "$setgid_group": "postdrop", "-": "root", "root": "root"}
	for line := range strings.Lines(string(list)) {
		// $queue_directory/NAME:d:OWNER:GROUP:MODE:FLAGS
		f := strings.Split(strings.TrimSpace(line), ":")
		name, ok := strings.CutPrefix(f[0], "$queue_directory/")
		if !ok || len(f) < 5 || f[1] != "d" {
			continue
		}
		mode, err := strconv.ParseUint(f[4], 8, 32)
		if err != nil {
			return fmt.Errorf("postfix-files: %q: %w", line, err)
		}
		owner, group := owners[f[2]], owners[f[3]]
		if owner == "" || group == "" {
			return fmt.Errorf("postfix-files: %q: unknown owner", line)
		}
		dir := filepath.Join(queue, name)
		if err := os.Mkdir(dir, os.FileMode(mode)); err != nil {
			return err
		}
		if err := os.Chmod(dir, os.FileMode(mode)); err != nil { // past the umask
			return err
		}
		if err := chownTo(dir, owner, group); err != nil {
			return err
		}
	}
	return nil
}

// chownTo gives path to a system user and group.
func chownTo(path, owner, group string) error {
	u, err := user.Lookup(owner)
	if err != nil {
		return err
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	return os.Chown(path, uid, gid)
}

// runForeground starts a server that stays in the foreground, and stops
// it when t ends. Should the test process die first, the kernel stops the
// server too.
func runForeground(t testing.TB, dir, name string, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	// A file rather than a pipe: the server's children inherit it, and
	// waiting on a pipe would wait for every one of them.
	outPath := filepath.Join(dir, name+".out")
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		// The whole process group: the master and every child.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	select {
	case <-done:
		text, _ := os.ReadFile(outPath)
		return fmt.Errorf("%s exited at once: %s", name, text)
	case <-time.After(50 * time.Millisecond):
	}
	return nil
}

// waitGreeting waits until a server at addr greets with prefix.
func waitGreeting(addr, prefix string) error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr == nil && strings.HasPrefix(line, prefix) {
				return nil
			}
			last = fmt.Errorf("greeting %q: %v", line, rerr)
		} else {
			last = err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not greet within %s: %v", addr, startTimeout, last)
}

// Logs returns the end of what the servers logged so far, for a test
// to show when it fails.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, name := range []string{"dovecot.log", "postfix.log"} {
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err == nil && len(data) > 0 {
			fmt.Fprintf(&b, "--- %s\n%s", name, tail(data, 4000))
		}
	}
	return b.String()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// AddUser creates the mailbox name@Domain with password and returns its
// address. Name is also the IMAP login.
func (s *Server) AddUser(t testing.TB, name, password string) string {
	t.Helper()
	if name == "" || strings.ContainsAny(name, ":@/ \n%") || strings.ContainsAny(password, ":\n") {
		t.Fatalf("mailtest: user %q or its password has a character passwd-file cannot hold", name)
	}
	entry := fmt.Sprintf("%s:{PLAIN}%s\n", name, password)
	if err := os.WriteFile(filepath.Join(s.users, name), []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	return name + "@" + Domain
}

// Send submits raw over SMTP, without authentication, from one address to
// others, and fails t if the server refuses it. Delivery to the mailboxes
// follows within moments: see WaitForMessages.
func (s *Server) Send(t testing.TB, from string, to []string, raw []byte) {
	t.Helper()
	if err := s.send(from, to, raw); err != nil {
		t.Fatalf("mailtest: send over SMTP from %s to %v: %v\n%s", from, to, err, s.Logs())
	}
}

func (s *Server) send(from string, to []string, raw []byte) error {
	c, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if err := c.StartTLS(&tls.Config{RootCAs: s.RootCAs, ServerName: "127.0.0.1"}); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// WaitForMessages waits until mailbox ("INBOX", "Sent"…) of user holds at
// least n messages, and fails t if it does not within ten seconds.
func (s *Server) WaitForMessages(t testing.TB, user, mailbox string, n int) {
	t.Helper()
	dir := filepath.Join(s.dir, "mail", user, "Maildir")
	if mailbox != "INBOX" {
		dir = filepath.Join(dir, "."+mailbox)
	}
	deadline := time.Now().Add(10 * time.Second)
	got := 0
	for time.Now().Before(deadline) {
		got = 0
		for _, sub := range []string{"new", "cur"} {
			entries, _ := os.ReadDir(filepath.Join(dir, sub))
			got += len(entries)
		}
		if got >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("mailtest: %s of %s holds %d messages after ten seconds, want %d\n%s", mailbox, user, got, n, s.Logs())
}

// Messages returns the messages mailbox ("INBOX", "Sent"…) of user holds,
// as delivered, in no particular order.
func (s *Server) Messages(t testing.TB, user, mailbox string) [][]byte {
	t.Helper()
	dir := filepath.Join(s.dir, "mail", user, "Maildir")
	if mailbox != "INBOX" {
		dir = filepath.Join(dir, "."+mailbox)
	}
	var out [][]byte
	for _, sub := range []string{"new", "cur"} {
		entries, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// SetUIDValidity gives a mailbox a new UIDVALIDITY, as a server restored
// from a backup or rebuilt would.
func (s *Server) SetUIDValidity(t testing.TB, user, mailbox string, v uint32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.doveadm, "-c", s.doveConf, "mailbox", "update", "-u", user,
		"--uid-validity", strconv.FormatUint(uint64(v), 10), mailbox)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mailtest: doveadm mailbox update: %v: %s", err, out)
	}
}
