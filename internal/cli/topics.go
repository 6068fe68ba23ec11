package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/store"
)

const topicsUsage = `Usage:
  palabre topics list   --workspace SLUG [--json]
  palabre topics set    --workspace SLUG NAME TERM [TERM…]
  palabre topics delete --workspace SLUG NAME

A workspace's vocabulary: named topics, each found in messages by its terms
(words or phrases; case, accents and plural endings do not matter). set
creates the topic NAME or replaces its terms; a TERM may also hold several
terms separated by commas: "livraison, colis, retard de livraison".
Flags go before NAME. Run 'palabre topics list -h' for a subcommand's flags.
`

func runTopics(ctx context.Context, args []string, env Env) error {
	return runSubcommand(ctx, "topics", topicsUsage, []subcommand{
		{"list", topicsList},
		{"set", topicsSet},
		{"delete", topicsDelete},
	}, args, env)
}

// topicsFlags parses a topics subcommand's flags and returns its
// arguments.
func topicsFlags(name string, args []string, env Env, cfg *config.Config, settings ...config.Setting) ([]string, error) {
	rest, err := parse("topics "+name, args, env, cfg, append([]config.Setting{config.DB, config.Workspace}, settings...)...)
	if err != nil {
		return nil, err
	}
	for _, a := range rest {
		// The flag package stops at the first argument: a flag after NAME
		// would otherwise become a term (a term such as "-20%" is fine).
		if len(a) > 1 && a[0] == '-' && (a[1] == '-' || 'a' <= a[1] && a[1] <= 'z' || 'A' <= a[1] && a[1] <= 'Z') {
			return nil, usagef("flag %q after the arguments: flags go before NAME", a)
		}
	}
	if cfg.Workspace == "" {
		return nil, usagef("--workspace is required")
	}
	return rest, nil
}

type topicsOutput struct {
	Topics []model.Topic `json:"topics"`
}

func topicsList(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := topicsFlags("list", args, env, &cfg, config.JSON)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("topics list takes no arguments, got %q", rest)
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	vocab, err := st.Topics(ctx, ws.ID)
	if err != nil {
		return err
	}
	if cfg.JSON {
		if vocab == nil {
			vocab = []model.Topic{}
		}
		return json.NewEncoder(env.Stdout).Encode(topicsOutput{Topics: vocab})
	}
	if len(vocab) == 0 {
		fmt.Fprintf(env.Stderr, "%s has no topics yet; add one with 'palabre topics set'\n", ws.Slug)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 8, 2, ' ', 0)
	for _, t := range vocab {
		fmt.Fprintf(tw, "%s\t%s\n", t.Name, strings.Join(t.Terms, ", "))
	}
	return tw.Flush()
}

func topicsSet(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := topicsFlags("set", args, env, &cfg)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("topics set needs NAME and at least one TERM")
	}
	name, terms := rest[0], splitTerms(rest[1:])
	if len(terms) == 0 {
		return usagef("topic %q: give at least one TERM", name)
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	created, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: name, Terms: terms}, actor(env))
	if errors.Is(err, store.ErrInvalid) {
		return exitError{ExitUsage, err} // the command line is wrong; the message says where
	}
	if err != nil {
		return err
	}
	verb := "updated"
	if created {
		verb = "created"
	}
	fmt.Fprintf(env.Stdout, "%s topic %q in %s: %s\n", verb, name, ws.Slug, strings.Join(terms, ", "))
	return nil
}

// splitTerms takes terms as separate arguments, each of which may also
// list several, separated by commas.
func splitTerms(args []string) []string {
	var out []string
	for _, a := range args {
		for term := range strings.SplitSeq(a, ",") {
			if term = strings.TrimSpace(term); term != "" {
				out = append(out, term)
			}
		}
	}
	return out
}

func topicsDelete(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := topicsFlags("delete", args, env, &cfg)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("topics delete takes one NAME, got %q", rest)
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.DeleteTopic(ctx, ws.ID, rest[0], actor(env)); err != nil {
		return fmt.Errorf("%s: %w", ws.Slug, err)
	}
	fmt.Fprintf(env.Stdout, "deleted topic %q from %s\n", rest[0], ws.Slug)
	return nil
}
