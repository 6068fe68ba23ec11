// Package config declares palabre's settings in one place: each has a
// command-line flag, a PALABRE_* environment variable, a default and a help
// text, declared together. A flag given on the command line wins over the
// environment, which wins over the default. Nothing here is global: each
// command builds its own Config.
package config

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"palabre/internal/model"
)

// Config holds every setting a command may use.
type Config struct {
	DB           string        // database: SQLite file path or postgres:// URL
	Addr         string        // HTTP listen address
	Workspace    string        // workspace slug
	Channel      string        // channel name
	Format       string        // input or output format
	JSON         bool          // print a JSON summary
	Strict       bool          // refuse the whole input if any record is bad
	Out          string        // output file
	AllowPrivate bool          // let URL imports reach private and loopback addresses
	BatchSize    int           // messages per transaction
	Timeout      time.Duration // outbound fetch timeout
	Analyze      bool          // analyse messages as they are imported
	Model        string        // analysis model file (default: built in)
	Name         string        // a user's or a token's display name
	Admin        bool          // the user administers the whole instance
	Role         string        // a membership's role in a workspace
	PasswordFile string        // where to read a password ("-": standard input)
	Write        bool          // an API token may change data
	Expires      time.Duration // an API token's lifetime (0: none)
	MaxSectors   int           // unrelated sectors a CM may work in before their profile warns
	Route        bool          // route the workspace's unassigned conversations after an import
	// WebhooksAllowPrivate lets webhooks be delivered to private and
	// loopback addresses.
	WebhooksAllowPrivate bool
	// SourcesAllowHosts are hosts live sources may reach whatever they
	// resolve to (an intranet forum, a local mail server); every other
	// private or loopback address is refused.
	SourcesAllowHosts []string
	Month             string // a calendar month, YYYY-MM
	Lang              string // a language of palabre's screens and reports: en or fr
	ReportFormat      string // pdf, html or csv
	// The SMTP server palabre sends its own e-mail through (monthly
	// reports): host:port, login, TLS mode and sender. The password is
	// read from PALABRE_SMTP_PASSWORD only, never from a flag, so that
	// it shows in no process list.
	SMTPAddr, SMTPUser, SMTPTLS, MailFrom string
	SMTPPassword                          string
}

// Setting names one setting for a command's flag set.
type Setting int

// The settings a command can ask for.
const (
	DB Setting = iota
	Addr
	Workspace
	Channel
	Format
	JSON
	Strict
	Out
	AllowPrivate
	BatchSize
	Timeout
	Analyze
	Model
	Name
	Admin
	Role
	PasswordFile
	Write
	Expires
	MaxSectors
	Route
	WebhooksAllowPrivate
	SourcesAllowHosts
	Month
	Lang
	ReportFormat
	Mail
)

// DefaultDB is the SQLite file used when neither --db nor PALABRE_DB is set.
const DefaultDB = "palabre.db"

// Bind registers the given settings on fs, with defaults taken from the
// environment (via getenv) where the matching PALABRE_* variable is set.
// It fails when an environment value cannot be parsed.
func (c *Config) Bind(fs *flag.FlagSet, getenv func(string) string, settings ...Setting) error {
	var errs []string
	str := func(p *string, name, def, help string) {
		env := envName(name)
		if v := getenv(env); v != "" {
			def = v
		}
		fs.StringVar(p, name, def, help+" (env "+env+")")
	}
	boolean := func(p *bool, name string, def bool, help string) {
		env := envName(name)
		if v := getenv(env); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: not a boolean", env, v))
			}
			def = b
		}
		fs.BoolVar(p, name, def, help+" (env "+env+")")
	}
	// positive binds a whole number that must be above zero.
	positive := func(p *int, name string, def int, help string) {
		env := envName(name)
		if v := getenv(env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Sprintf("%s=%q: not a positive number", env, v))
			}
			def = n
		}
		fs.IntVar(p, name, def, help+" (env "+env+")")
	}
	// duration binds a duration; negative says whether one below zero is
	// accepted from the environment.
	duration := func(p *time.Duration, name string, def time.Duration, negative bool, help string) {
		env := envName(name)
		if v := getenv(env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || (!negative && d < 0) {
				errs = append(errs, fmt.Sprintf("%s=%q: not a duration", env, v))
			}
			def = d
		}
		fs.DurationVar(p, name, def, help+" (env "+env+")")
	}
	for _, s := range settings {
		switch s {
		case DB:
			str(&c.DB, "db", DefaultDB, "database: a SQLite file, or a postgres:// URL")
		case Addr:
			str(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on")
		case Workspace:
			str(&c.Workspace, "workspace", "", "workspace slug")
		case Channel:
			str(&c.Channel, "channel", "", "channel name for records that do not name one (default: blog for WordPress and feeds, import otherwise)")
		case Format:
			str(&c.Format, "format", "auto", "format: auto, wxr, rss, atom, ndjson or csv")
		case JSON:
			boolean(&c.JSON, "json", false, "print one JSON summary on standard output")
		case Strict:
			boolean(&c.Strict, "strict", false, "import nothing if any record is bad")
		case Out:
			str(&c.Out, "out", "", "output file (default: standard output)")
		case AllowPrivate:
			boolean(&c.AllowPrivate, "allow-private", false, "allow URL imports from private and loopback addresses")
		case BatchSize:
			positive(&c.BatchSize, "batch-size", 1000, "messages written per transaction")
		case Timeout:
			duration(&c.Timeout, "timeout", 30*time.Second, true, "timeout of a URL fetch")
		case Analyze:
			boolean(&c.Analyze, "analyze", true, "analyse messages as they are imported: language, sentiment, intent, needs_response, spam, topics")
		case Model:
			str(&c.Model, "model", "", "analysis model file written by palabre train (default: the model built into palabre)")
		case Name:
			str(&c.Name, "name", "", "display name")
		case Admin:
			// The one flag without an environment variable: a PALABRE_ADMIN
			// left in a shell would make every user added an administrator.
			fs.BoolVar(&c.Admin, "admin", false, "the user administers the whole instance: every workspace, every user")
		case Role:
			str(&c.Role, "role", "", "role in the workspace: owner, manager, cm, expert or client")
		case PasswordFile:
			str(&c.PasswordFile, "password-file", "", "read the password from this file's first line (- for standard input); default: generate one and print it once")
		case Write:
			boolean(&c.Write, "write", false, "the token may change data (default: read-only)")
		case Expires:
			duration(&c.Expires, "expires", 0, false, "the token stops working after this long, e.g. 2160h (default: never)")
		case Route:
			boolean(&c.Route, "route", true, "after the import, assign the workspace's unassigned conversations to its CMs (see palabre route)")
		case WebhooksAllowPrivate:
			boolean(&c.WebhooksAllowPrivate, "webhooks-allow-private", false,
				"deliver webhooks to private and loopback addresses too (default: public addresses only)")
		case SourcesAllowHosts:
			env := envName("sources-allow-hosts")
			v := (*hostList)(&c.SourcesAllowHosts)
			v.Set(getenv(env))
			fs.Var(v, "sources-allow-hosts",
				"comma-separated hosts that live sources may reach even on private or loopback addresses (default: public addresses only) (env "+env+")")
		case Month:
			str(&c.Month, "month", "", "month, YYYY-MM (default: the last whole month, in the workspace's time zone)")
		case Lang:
			str(&c.Lang, "lang", "", "language: en or fr (default: the workspace's language)")
		case ReportFormat:
			str(&c.ReportFormat, "format", "auto", "format: pdf, html or csv (auto: by the --out file's extension, else pdf)")
		case Mail:
			str(&c.SMTPAddr, "smtp-addr", "", "SMTP server palabre sends its own e-mail through (monthly reports), host:port (default: none, nothing is sent)")
			str(&c.SMTPUser, "smtp-user", "", "login on the SMTP server (default: none); the password is read from PALABRE_SMTP_PASSWORD")
			str(&c.SMTPTLS, "smtp-tls", "", "TLS with the SMTP server: starttls, tls or none (default: tls on port 465, starttls elsewhere)")
			str(&c.MailFrom, "mail-from", "", "address palabre's own e-mail is sent from, e.g. palabre@agency.example")
			c.SMTPPassword = getenv("PALABRE_SMTP_PASSWORD")
		case MaxSectors:
			positive(&c.MaxSectors, "max-sectors", model.DefaultMaxSectors,
				"a CM's profile warns when they work in more unrelated sectors than this")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

// envName turns a flag name into its environment variable: db → PALABRE_DB.
func envName(flagName string) string {
	return "PALABRE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Getenv is the process environment, for Bind.
func Getenv(key string) string { return os.Getenv(key) }

// hostList is a comma-separated list of host names as a flag.
type hostList []string

func (l *hostList) String() string { return strings.Join(*l, ",") }

func (l *hostList) Set(v string) error {
	*l = nil
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			*l = append(*l, h)
		}
	}
	return nil
}
