package cli

// A workspace's settings kept as JSON documents — its routing rules and its
// SLA — shown and replaced from the command line, as the API does.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/route"
	"palabre/internal/sla"
	"palabre/internal/store"
)

const rulesUsage = `Usage:
  palabre rules show --workspace SLUG
  palabre rules set  --workspace SLUG FILE    (- reads standard input)

A workspace's routing rules, as JSON: {"rules": [{"name": "…",
"when": {"topic": "…", "intent": "…", "sentiment": "…", "channel": "…",
"author": "…", "lang": "…"}, "then": {"assign_to": "LOGIN", "tags": […],
"priority": 0-3, "stop": true}}, …]}. Rules apply in order; set replaces
them all. The same document as GET/PUT /api/v1/workspaces/{slug}/routing-rules.
`

const slaUsage = `Usage:
  palabre sla show --workspace SLUG
  palabre sla set  --workspace SLUG FILE    (- reads standard input)

A workspace's SLA, as JSON: {"calendar": {"time_zone": "Europe/Paris",
"hours": {"mon": ["09:00-18:00"], …}, "holidays": ["2026-12-25"]},
"warn_before": "30m", "policies": [{"name": "standard", "priorities": [0, 1],
"channels": [], "first_response": "4h", "next_response": "8h",
"resolution": "72h"}], "escalation": {"notify": true, "reroute": false,
"raise_priority": true}}. Targets count business hours. The same document
as GET/PUT /api/v1/workspaces/{slug}/sla.
`

func runRules(ctx context.Context, args []string, env Env) error {
	type doc struct {
		Rules []route.Rule `json:"rules"`
	}
	return runSubcommand(ctx, "rules", rulesUsage, []subcommand{
		{"show", func(ctx context.Context, args []string, env Env) error {
			return showSetting(ctx, "rules show", args, env, func(st *store.Store, ws model.Workspace) (any, error) {
				rules, err := st.RoutingRules(ctx, ws.ID)
				return doc{Rules: rules}, err
			})
		}},
		{"set", func(ctx context.Context, args []string, env Env) error {
			var d doc
			return setSetting(ctx, "rules set", args, env, &d, func(st *store.Store, ws model.Workspace) error {
				if d.Rules == nil {
					return usagef(`the document needs "rules", a list ([] for none)`)
				}
				if err := route.ValidateRules(d.Rules); err != nil {
					return usagef("%v", err)
				}
				return st.SetRoutingRules(ctx, ws.ID, d.Rules, actor(env))
			})
		}},
	}, args, env)
}

func runSLA(ctx context.Context, args []string, env Env) error {
	return runSubcommand(ctx, "sla", slaUsage, []subcommand{
		{"show", func(ctx context.Context, args []string, env Env) error {
			return showSetting(ctx, "sla show", args, env, func(st *store.Store, ws model.Workspace) (any, error) {
				s, ok, err := st.SLASettings(ctx, ws.ID)
				if err == nil && !ok {
					return nil, fmt.Errorf("%s has no SLA yet: set one with palabre sla set", ws.Slug)
				}
				return s, err
			})
		}},
		{"set", func(ctx context.Context, args []string, env Env) error {
			var s sla.Settings
			return setSetting(ctx, "sla set", args, env, &s, func(st *store.Store, ws model.Workspace) error {
				return invalidAsUsage(st.SetSLASettings(ctx, ws.ID, s, actor(env)))
			})
		}},
	}, args, env)
}

// showSetting prints, as indented JSON, the document get reads of the
// workspace --workspace names.
func showSetting(ctx context.Context, name string, args []string, env Env, get func(*store.Store, model.Workspace) (any, error)) error {
	var cfg config.Config
	rest, err := parse(name, args, env, &cfg, config.DB, config.Workspace)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("%s takes no arguments, got %q", name, rest)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := get(st, ws)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// setSetting reads the JSON document of FILE (- for standard input) into
// v, refusing unknown fields, then has put store it in the workspace
// --workspace names.
func setSetting(ctx context.Context, name string, args []string, env Env, v any, put func(*store.Store, model.Workspace) error) error {
	var cfg config.Config
	rest, err := parse(name, args, env, &cfg, config.DB, config.Workspace)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("%s needs one FILE (- for standard input)", name)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	var in io.Reader = env.Stdin
	if rest[0] != "-" {
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	dec := json.NewDecoder(io.LimitReader(in, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return usagef("%s: %v", rest[0], err)
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := put(st, ws); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s of %s saved\n", name[:len(name)-len(" set")], ws.Slug)
	return nil
}
