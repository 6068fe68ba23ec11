// Package wordpresstest runs a real WordPress for tests: MariaDB on a
// throw-away data directory, and WordPress from Debian's wordpress package
// served by PHP's built-in server, both listening on 127.0.0.1 only and
// stopped when the test ends. WordPress is configured to make no request
// to other hosts and to send no mail.
//
// Without the packages, Start skips the test, naming what to install —
// unless PALABRE_REQUIRE_WORDPRESS=1 (for CI), which makes it a failure.
package wordpresstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Packages are the Debian packages the harness needs.
const Packages = "wordpress mariadb-server php-cli php-mysql"

// wordpressDir is where Debian's wordpress package puts WordPress.
const wordpressDir = "/usr/share/wordpress"

// Site is a running WordPress.
type Site struct {
	// URL is the site's home address, http://127.0.0.1:PORT, pretty
	// permalinks on (/%postname%/): the REST API answers at /wp-json/.
	URL string
	// Admin is the administrator's login, AdminID its user id, Password
	// its password and AppPassword an application password of it.
	Admin       string
	AdminID     int64
	Password    string
	AppPassword string
	// PostID is a published post open to comments, created the way the
	// editor creates one (a draft first), so that its guid is
	// URL/?p=PostID as on real sites.
	PostID int64
	// StartTime is how long starting the database and WordPress took.
	StartTime time.Duration

	php    string
	dir    string // the harness's files
	config string // wp-config.php
}

// tools are the programs the harness runs.
type tools struct {
	php, mariadbd string
}

// Start runs a fresh WordPress for t, stopped when t ends.
func Start(t testing.TB) *Site {
	t.Helper()
	tl, err := findTools()
	if err != nil {
		msg := fmt.Sprintf("wordpresstest: %v; install with: apt-get install -y %s", err, Packages)
		if os.Getenv("PALABRE_REQUIRE_WORDPRESS") == "1" {
			t.Fatal(msg + " (PALABRE_REQUIRE_WORDPRESS=1)")
		}
		t.Skip(msg)
	}
	began := time.Now()
	dir := shortTempDir(t)
	h := &harness{t: t, tools: tl, dir: dir}
	t.Cleanup(h.stop)
	dbPort := h.startMariaDB()
	dbReady := time.Since(began)
	s := h.installWordPress(dbPort)
	installed := time.Since(began)
	h.startPHP(s)
	s.StartTime = time.Since(began)
	t.Logf("wordpresstest: WordPress at %s started in %s (MariaDB %s, install %s, PHP %s)", s.URL, s.StartTime.Round(time.Millisecond),
		dbReady.Round(time.Millisecond), (installed - dbReady).Round(time.Millisecond), (s.StartTime - installed).Round(time.Millisecond))
	return s
}

// findTools finds the programs and files of the needed packages.
func findTools() (tools, error) {
	var tl tools
	var missing []string
	look := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
			// /usr/sbin is not on every PATH.
			if p := filepath.Join("/usr/sbin", n); isExecutable(p) {
				return p
			}
		}
		missing = append(missing, names[0])
		return ""
	}
	tl.php = look("php")
	tl.mariadbd = look("mariadbd", "mysqld")
	if _, err := os.Stat(filepath.Join(wordpressDir, "wp-settings.php")); err != nil {
		missing = append(missing, wordpressDir)
	}
	if len(missing) > 0 {
		return tl, fmt.Errorf("%s not found", strings.Join(missing, ", "))
	}
	if err := exec.Command(tl.php, "-r", `exit(extension_loaded("mysqli") ? 0 : 1);`).Run(); err != nil {
		return tl, errors.New("PHP has no mysqli extension")
	}
	return tl, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// shortTempDir is a temporary directory removed when t ends, with a path
// short enough for MariaDB's socket (at most 107 bytes).
func shortTempDir(t testing.TB) string {
	dir, err := os.MkdirTemp("", "palabre-wp-")
	if err != nil {
		t.Fatalf("wordpresstest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// harness holds the processes of one site.
type harness struct {
	t     testing.TB
	tools tools
	dir   string
	procs []*proc // in start order
}

// proc is a server process and its log.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done
}

// start runs a server process in its own process group, its output to a
// log file.
func (h *harness) start(name string, env []string, args ...string) *proc {
	h.t.Helper()
	logPath := filepath.Join(h.dir, name+".log")
	out, err := os.Create(logPath)
	if err != nil {
		h.t.Fatalf("wordpresstest: %v", err)
	}
	defer out.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), env...)
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("wordpresstest: start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	h.procs = append(h.procs, p)
	return p
}

// stop ends the processes, last started first, and shows their logs if
// the test failed.
func (h *harness) stop() {
	for i := len(h.procs) - 1; i >= 0; i-- {
		p := h.procs[i]
		terminate(p.cmd)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			kill(p.cmd)
			<-p.done
		}
	}
	if h.t.Failed() {
		for _, p := range h.procs {
			h.t.Logf("wordpresstest: end of the %s log:\n%s", p.name, tail(p.log))
		}
		h.t.Logf("wordpresstest: end of the PHP error log:\n%s", tail(filepath.Join(h.dir, "php-errors.log")))
	}
}

// tail returns the last lines of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func (h *harness) freePort() int {
	h.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatalf("wordpresstest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitFor calls ready until it succeeds, p exits or a minute passes.
func (h *harness) waitFor(p *proc, what string, ready func() error) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			h.t.Fatalf("wordpresstest: %s exited (%v) before %s:\n%s", p.name, p.err, what, tail(p.log))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("wordpresstest: %s: %v:\n%s", what, err, tail(p.log))
		}
	}
}

// startMariaDB runs MariaDB on an empty data directory and returns its
// port. Without grant tables (and so without mariadb-install-db, which
// takes seconds) anyone on 127.0.0.1 may connect: a test database only.
// Durability is traded for speed.
func (h *harness) startMariaDB() int {
	h.t.Helper()
	data := filepath.Join(h.dir, "db")
	if err := os.Mkdir(data, 0o700); err != nil {
		h.t.Fatalf("wordpresstest: %v", err)
	}
	port := h.freePort()
	args := []string{h.tools.mariadbd, "--no-defaults",
		"--datadir=" + data,
		"--skip-grant-tables",
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(port),
		"--socket=" + filepath.Join(h.dir, "db.sock"),
		"--pid-file=" + filepath.Join(h.dir, "db.pid"),
		"--tmpdir=" + h.dir,
		"--skip-name-resolve",
		"--skip-log-bin",
		"--innodb-buffer-pool-size=32M",
		"--innodb-log-file-size=8M",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-doublewrite=0",
		"--innodb-flush-method=nosync",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root") // else mariadbd refuses to run
	}
	p := h.start("mariadb", nil, args...)
	h.waitFor(p, "MariaDB listens", func() error {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
	return port
}

// installWordPress lays out a document root of Debian's WordPress with a
// configuration of its own, creates the database and installs the site.
func (h *harness) installWordPress(dbPort int) *Site {
	h.t.Helper()
	www := filepath.Join(h.dir, "www")
	content := filepath.Join(h.dir, "wp-content")
	for _, d := range []string{www, filepath.Join(content, "mu-plugins"), filepath.Join(content, "plugins"), filepath.Join(content, "uploads")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			h.t.Fatalf("wordpresstest: %v", err)
		}
	}
	if err := layOut(www, content); err != nil {
		h.t.Fatalf("wordpresstest: %v", err)
	}
	s := &Site{
		URL:      "http://127.0.0.1:" + strconv.Itoa(h.freePort()),
		Admin:    "admin",
		Password: randomString(),
		php:      h.tools.php,
		dir:      h.dir,
		config:   filepath.Join(www, "wp-config.php"),
	}
	files := map[string]string{
		s.config: wpConfig(s.URL, dbPort, content),
		filepath.Join(content, "mu-plugins", "palabre-test.php"): muPlugin,
		filepath.Join(h.dir, "router.php"):                       router(www),
		filepath.Join(h.dir, "install.php"):                      installScript,
	}
	for path, text := range files {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			h.t.Fatalf("wordpresstest: %v", err)
		}
	}
	out, err := s.runPHP(filepath.Join(h.dir, "install.php"), s.config, s.Admin, s.Password)
	if err != nil {
		h.t.Fatalf("wordpresstest: install WordPress: %v\n%s\n%s", err, out, tail(filepath.Join(h.dir, "php-errors.log")))
	}
	var installed struct {
		UserID      int64  `json:"user_id"`
		PostID      int64  `json:"post_id"`
		AppPassword string `json:"app_password"`
	}
	if err := json.Unmarshal(lastLine(out), &installed); err != nil || installed.PostID == 0 || installed.AppPassword == "" {
		h.t.Fatalf("wordpresstest: install WordPress: unexpected output (%v):\n%s", err, out)
	}
	s.AdminID, s.PostID, s.AppPassword = installed.UserID, installed.PostID, installed.AppPassword
	return s
}

// layOut fills the document root www: WordPress's top-level files are
// copied, because WordPress finds its configuration beside wp-load.php
// and PHP resolves symbolic links, while its directories are linked.
// wp-content is the harness's own, with Debian's themes linked in.
func layOut(www, content string) error {
	entries, err := os.ReadDir(wordpressDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		src, dst := filepath.Join(wordpressDir, name), filepath.Join(www, name)
		switch {
		case name == "wp-config.php" || name == "wp-content" || strings.HasPrefix(name, "."):
			continue
		case e.IsDir():
			if err := os.Symlink(src, dst); err != nil {
				return err
			}
		default:
			b, err := os.ReadFile(src)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				return err
			}
		}
	}
	themes, err := filepath.EvalSymlinks(filepath.Join(wordpressDir, "wp-content", "themes"))
	if err != nil {
		return fmt.Errorf("WordPress themes: %w", err)
	}
	return os.Symlink(themes, filepath.Join(content, "themes"))
}

// phpFlags keep PHP's errors out of the answers and its mail at home.
func (s *Site) phpFlags() []string {
	return []string{
		"-d", "display_errors=0",
		"-d", "log_errors=1",
		"-d", "error_log=" + filepath.Join(s.dir, "php-errors.log"),
		"-d", "sendmail_path=/bin/true",
		"-d", "memory_limit=256M",
	}
}

// runPHP runs a PHP script with the harness's flags.
func (s *Site) runPHP(args ...string) ([]byte, error) {
	cmd := exec.Command(s.php, append(s.phpFlags(), args...)...)
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// PHP runs code (PHP statements, without the opening tag) with WordPress
// loaded, as the administrator, and returns what it printed.
func (s *Site) PHP(t testing.TB, code string) string {
	t.Helper()
	script := filepath.Join(s.dir, "run-"+randomString()[:8]+".php")
	text := "<?php\nrequire " + phpString(s.config) + ";\nwp_set_current_user(" + strconv.FormatInt(s.AdminID, 10) + ");\n" + code + "\n"
	if err := os.WriteFile(script, []byte(text), 0o644); err != nil {
		t.Fatalf("wordpresstest: %v", err)
	}
	defer os.Remove(script)
	out, err := s.runPHP(script)
	if err != nil {
		t.Fatalf("wordpresstest: PHP: %v\n%s", err, out)
	}
	return string(out)
}

// startPHP serves the site with PHP's built-in server. It answers one
// request at a time: its workers (PHP_CLI_SERVER_WORKERS) would outlive a
// test process killed by a timeout, which only the server itself does not.
func (h *harness) startPHP(s *Site) {
	h.t.Helper()
	addr := strings.TrimPrefix(s.URL, "http://")
	args := append([]string{s.php}, s.phpFlags()...)
	args = append(args, "-S", addr, "-t", filepath.Join(h.dir, "www"), filepath.Join(h.dir, "router.php"))
	p := h.start("php", nil, args...)
	client := &http.Client{Timeout: 5 * time.Second}
	h.waitFor(p, "WordPress answers", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/wp-json/", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /wp-json/: %s", resp.Status)
		}
		return nil
	})
}

func randomString() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// phpString writes s as a PHP single-quoted string.
func phpString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// lastLine returns the last non-empty line of out.
func lastLine(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	return lines[len(lines)-1]
}

// wpConfig is the site's wp-config.php.
func wpConfig(home string, dbPort int, content string) string {
	var b strings.Builder
	b.WriteString("<?php\n// Written by palabre's test harness.\n")
	def := func(name, value string) {
		fmt.Fprintf(&b, "define(%s, %s);\n", phpString(name), value)
	}
	def("DB_NAME", "'wordpress'")
	def("DB_USER", "'root'")
	def("DB_PASSWORD", "''")
	def("DB_HOST", phpString("127.0.0.1:"+strconv.Itoa(dbPort)))
	def("DB_CHARSET", "'utf8mb4'")
	def("DB_COLLATE", "''")
	for _, k := range []string{"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"} {
		def(k, phpString(randomString()))
	}
	def("WP_HOME", phpString(home))
	def("WP_SITEURL", phpString(home))
	def("WP_CONTENT_DIR", phpString(content))
	def("WP_CONTENT_URL", phpString(home+"/wp-content"))
	// Application passwords need HTTPS, or a local environment.
	def("WP_ENVIRONMENT_TYPE", "'local'")
	def("WP_DEBUG", "false")
	// No cron, no updates, no requests to other hosts.
	def("DISABLE_WP_CRON", "true")
	def("AUTOMATIC_UPDATER_DISABLED", "true")
	def("WP_AUTO_UPDATE_CORE", "false")
	def("WP_HTTP_BLOCK_EXTERNAL", "true")
	b.WriteString("$table_prefix = 'wp_';\n")
	b.WriteString("if (!defined('ABSPATH')) {\n\tdefine('ABSPATH', __DIR__ . '/');\n}\n")
	b.WriteString("require_once ABSPATH . 'wp-settings.php';\n")
	return b.String()
}

// muPlugin is loaded before WordPress's pluggable functions: tests send
// no mail.
const muPlugin = `<?php
// Written by palabre's test harness: tests send no mail.
function wp_mail($to, $subject, $message, $headers = '', $attachments = array()) {
	return true;
}
`

// router serves existing files as PHP's built-in server does and hands
// every other address to WordPress, as a web server's rewrite rules would.
func router(www string) string {
	return `<?php
// Written by palabre's test harness.
$www = ` + phpString(www) + `;
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (is_string($path) && $path !== '/' && is_file($www . $path)) {
	return false;
}
if (is_string($path) && is_dir($www . $path) && is_file($www . rtrim($path, '/') . '/index.php')) {
	return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $www . '/index.php';
chdir($www);
require $www . '/index.php';
`
}

// installScript creates the database, installs WordPress, turns pretty
// permalinks on, publishes a post and creates an application password;
// it prints the ids and the password as JSON. Arguments: the path of
// wp-config.php, the administrator's login and password.
const installScript = `<?php
// Written by palabre's test harness.
[$self, $config, $login, $password] = $argv;
$src = file_get_contents($config);
preg_match("/'DB_HOST', '([^']*)'/", $src, $m);
[$host, $port] = explode(':', $m[1]);
$db = new mysqli($host, 'root', '', '', (int) $port);
$db->query('CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4');
$db->close();

define('WP_INSTALLING', true);
// The install mails the administrator: not here.
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {}
require $config;
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install('palabre test', $login, 'admin@example.test', true, '', $password, 'en_US');
$user_id = $result['user_id'];
update_option('permalink_structure', '/%postname%/');
update_option('comment_moderation', 0);
update_option('comment_previously_approved', 0);
// Tests count comments: not WordPress's sample one.
foreach (get_comments(array('status' => 'all')) as $c) {
	wp_delete_comment($c->comment_ID, true);
}
wp_set_current_user($user_id);
// The editor saves a draft first, which gives the post its guid
// HOME/?p=ID; publishing it then does not change the guid.
$post_id = wp_insert_post(array(
	'post_title' => 'Potager',
	'post_name' => 'potager',
	'post_content' => 'Quand repiquer les tomates ?',
	'post_status' => 'draft',
	'post_author' => $user_id,
	'comment_status' => 'open',
), true);
if (is_wp_error($post_id)) {
	fwrite(STDERR, $post_id->get_error_message());
	exit(1);
}
wp_publish_post($post_id);
[$app_password] = WP_Application_Passwords::create_new_application_password($user_id, array('name' => 'palabre'));
echo "\n", json_encode(array('user_id' => $user_id, 'post_id' => $post_id, 'app_password' => $app_password)), "\n";
`

// REST calls the site's REST API (route after /wp-json) as the
// administrator, with body as JSON, and decodes the answer into out; an
// answer other than 2xx fails the test.
func (s *Site) REST(t testing.TB, method, route string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/wp-json"+route, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(s.Admin, s.AppPassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s: %s", method, route, resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, route, err, b)
	}
}
