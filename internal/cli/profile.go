package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/store"
)

const profileUsage = `Usage:
  palabre profile show LOGIN [--json] [--max-sectors N]
  palabre profile set  LOGIN [--languages fr,en] [--time-zone Europe/Paris]
                             [--hours 'mon-fri 09:00-12:30,14:00-18:00']…
                             [--capacity 20] [--status available|away]
                             [--topic WORKSPACE:TOPIC=STRENGTH]… [--json]

A CM's profile, which routing reads: the languages they answer in, their
time zone and weekly hours, their capacity (the most conversations they
keep open; 0 means no limit), whether they are available or away, and
their strength (0 to 1) on topics of workspaces.

set changes only what its flags give:
  --hours DAYS INTERVALS  sets those days, e.g. 'mon-fri 09:00-12:30,14:00-18:00',
                          'sat,sun 10:00-12:00' or 'wed off'; 'none' clears the week.
                          Repeat it for days with other hours.
  --topic W:T=S           sets the strength on topic T of workspace W; S=0 removes it.
                          Repeat it for several topics.
  --languages none        clears the languages.

show also lists the sectors of the workspaces where the user is a CM or a
manager, and warns when they are more than --max-sectors: one CM spread
across unrelated sectors knows none of their communities well.
`

func runProfile(ctx context.Context, args []string, env Env) error {
	return runSubcommand(ctx, "profile", profileUsage, []subcommand{
		{"show", profileShow},
		{"set", profileSet},
	}, args, env)
}

func profileShow(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("profile show", args, env, &cfg, 1, config.JSON, config.MaxSectors)
	if err != nil {
		return err
	}
	if err := checkMaxSectors(cfg); err != nil {
		return err
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	return printProfile(ctx, st, u, cfg, env)
}

// profileChanges are the changes profile set was asked for, each applied
// only when its flag was given.
type profileChanges struct {
	languages *[]string
	timeZone  *string
	capacity  *int
	status    *string
	hours     []func(model.WeeklyHours) model.WeeklyHours
	topics    []model.Specialisation // strength 0: remove
}

func (c *profileChanges) register(fs *flag.FlagSet) {
	fs.Func("languages", "languages the CM answers in, ISO 639-1 codes separated by commas such as fr,en; none clears them",
		func(s string) error {
			langs := []string{}
			if s != "none" {
				for _, l := range strings.Split(s, ",") {
					if l = strings.ToLower(strings.TrimSpace(l)); l != "" {
						langs = append(langs, l)
					}
				}
			}
			c.languages = &langs
			return nil
		})
	fs.Func("time-zone", "the CM's IANA time zone, such as Europe/Paris", func(s string) error {
		if err := model.ValidateTimeZone(s); err != nil {
			return err
		}
		c.timeZone = &s
		return nil
	})
	fs.Func("capacity", fmt.Sprintf("the most conversations the CM keeps open, 0 (no limit) to %d", model.MaxCapacity), func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errors.New("not a whole number")
		}
		c.capacity = &n
		return nil
	})
	fs.Func("status", "available or away", func(s string) error {
		if !model.ValidCMStatus(s) {
			return fmt.Errorf("want %s or %s", model.StatusAvailable, model.StatusAway)
		}
		c.status = &s
		return nil
	})
	fs.Func("hours", "weekly hours of some days, such as 'mon-fri 09:00-12:30,14:00-18:00' or 'sun off'; none clears the week (repeatable)",
		func(s string) error {
			change, err := parseHours(s)
			if err != nil {
				return err
			}
			c.hours = append(c.hours, change)
			return nil
		})
	fs.Func("topic", "strength on a workspace's topic, WORKSPACE:TOPIC=STRENGTH with 0 < STRENGTH ≤ 1, or =0 to remove it (repeatable)",
		func(s string) error {
			sp, err := parseTopic(s)
			if err != nil {
				return err
			}
			c.topics = append(c.topics, sp)
			return nil
		})
}

// apply returns p with the changes made.
func (c *profileChanges) apply(p model.Profile) model.Profile {
	if c.languages != nil {
		p.Languages = *c.languages
	}
	if c.timeZone != nil {
		p.TimeZone = *c.timeZone
	}
	if c.capacity != nil {
		p.Capacity = *c.capacity
	}
	if c.status != nil {
		p.Status = *c.status
	}
	for _, change := range c.hours {
		p.Hours = change(p.Hours)
	}
	for _, t := range c.topics {
		i := slices.IndexFunc(p.Specialisations, func(s model.Specialisation) bool {
			return s.Workspace == t.Workspace && s.Topic == t.Topic
		})
		switch {
		case t.Strength == 0 && i >= 0:
			p.Specialisations = slices.Delete(p.Specialisations, i, i+1)
		case t.Strength == 0:
		case i >= 0:
			p.Specialisations[i] = t
		default:
			p.Specialisations = append(p.Specialisations, t)
		}
	}
	return p
}

// parseHours reads one --hours value: "none", or days then intervals, as
// in "mon-fri 09:00-12:30,14:00-18:00", "sat,sun 10:00-12:00" or "wed off".
func parseHours(s string) (func(model.WeeklyHours) model.WeeklyHours, error) {
	if strings.TrimSpace(s) == "none" {
		return func(model.WeeklyHours) model.WeeklyHours { return model.WeeklyHours{} }, nil
	}
	fields := strings.Fields(s)
	if len(fields) < 2 {
		return nil, fmt.Errorf("%q: want days then intervals, such as 'mon-fri 09:00-12:30,14:00-18:00', or none", s)
	}
	days, err := parseDays(fields[0])
	if err != nil {
		return nil, err
	}
	var intervals []string
	if rest := strings.Join(fields[1:], ""); rest != "off" {
		for _, iv := range strings.Split(rest, ",") {
			if _, _, err := model.ParseInterval(iv); err != nil {
				return nil, err
			}
			intervals = append(intervals, iv)
		}
	}
	return func(h model.WeeklyHours) model.WeeklyHours {
		out := make(model.WeeklyHours, len(h)+len(days))
		for d, ivs := range h {
			out[d] = ivs
		}
		for _, d := range days {
			if intervals == nil {
				delete(out, d)
			} else {
				out[d] = intervals
			}
		}
		return out
	}, nil
}

// parseDays reads days separated by commas, each a weekday or a range of
// them such as mon-fri.
func parseDays(s string) ([]string, error) {
	var days []string
	for _, part := range strings.Split(s, ",") {
		from, to, isRange := strings.Cut(part, "-")
		i := slices.Index(model.Weekdays, from)
		j := i
		if isRange {
			j = slices.Index(model.Weekdays, to)
		}
		if i < 0 || j < 0 {
			return nil, fmt.Errorf("days %q: want mon, tue, wed, thu, fri, sat or sun, or a range such as mon-fri", part)
		}
		if j < i {
			return nil, fmt.Errorf("days %q: a range runs from Monday towards Sunday", part)
		}
		for _, d := range model.Weekdays[i : j+1] {
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
	}
	return days, nil
}

// parseTopic reads one --topic value, WORKSPACE:TOPIC=STRENGTH.
func parseTopic(s string) (model.Specialisation, error) {
	eq := strings.LastIndex(s, "=")
	ws, topic, ok := strings.Cut(s[:max(eq, 0)], ":")
	if eq < 0 || !ok || ws == "" || topic == "" {
		return model.Specialisation{}, fmt.Errorf("%q: want WORKSPACE:TOPIC=STRENGTH, such as velo:freins=0.8", s)
	}
	strength, err := strconv.ParseFloat(s[eq+1:], 64)
	if err != nil || !(strength >= 0 && strength <= 1) {
		return model.Specialisation{}, fmt.Errorf("%q: the strength must be a number from 0 (remove) to 1", s)
	}
	return model.Specialisation{Workspace: ws, Topic: topic, Strength: strength}, nil
}

func profileSet(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	var changes profileChanges
	pos, err := parseMixedWith("profile set", args, env, &cfg, 1, changes.register, config.JSON, config.MaxSectors)
	if err != nil {
		return err
	}
	if err := checkMaxSectors(cfg); err != nil {
		return err
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.Profile(ctx, u.ID)
	if err != nil {
		return err
	}
	err = st.SetProfile(ctx, changes.apply(p), actor(env))
	if err != nil {
		return invalidAsUsage(err)
	}
	return printProfile(ctx, st, u, cfg, env)
}

// printProfile prints u's profile, as JSON with --json.
func printProfile(ctx context.Context, st *store.Store, u model.User, cfg config.Config, env Env) error {
	p, err := st.Profile(ctx, u.ID)
	if err != nil {
		return err
	}
	sectors, err := st.SectorSpread(ctx, u.ID)
	if err != nil {
		return err
	}
	v := model.NewProfileView(u, p, sectors, cfg.MaxSectors)
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(v)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "user\t%s (%s)\n", v.Login, v.Name)
	fmt.Fprintf(tw, "status\t%s\n", v.Status)
	fmt.Fprintf(tw, "languages\t%s\n", orNone(strings.Join(v.Languages, ", ")))
	fmt.Fprintf(tw, "time zone\t%s\n", v.TimeZone)
	capacity := "no limit"
	if v.Capacity > 0 {
		capacity = fmt.Sprintf("%d open conversations", v.Capacity)
	}
	fmt.Fprintf(tw, "capacity\t%s\n", capacity)
	label := "hours"
	for _, d := range model.Weekdays {
		if ivs := v.Hours[d]; len(ivs) > 0 {
			fmt.Fprintf(tw, "%s\t%s %s\n", label, d, strings.Join(ivs, ", "))
			label = ""
		}
	}
	if label != "" {
		fmt.Fprintf(tw, "hours\tnone\n")
	}
	label = "topics"
	for _, s := range v.Specialisations {
		fmt.Fprintf(tw, "%s\t%s:%s=%g\n", label, s.Workspace, s.Topic, s.Strength)
		label = ""
	}
	if label != "" {
		fmt.Fprintf(tw, "topics\tnone\n")
	}
	fmt.Fprintf(tw, "sectors\t%s\n", orNone(strings.Join(v.Sectors, ", ")))
	if err := tw.Flush(); err != nil {
		return err
	}
	if v.Warning != "" {
		fmt.Fprintf(env.Stdout, "warning: %s\n", v.Warning)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// checkMaxSectors refuses a --max-sectors that could warn of nothing; the
// environment variable is checked where it is read.
func checkMaxSectors(cfg config.Config) error {
	if cfg.MaxSectors <= 0 {
		return usagef("--max-sectors %d: want a positive number", cfg.MaxSectors)
	}
	return nil
}
