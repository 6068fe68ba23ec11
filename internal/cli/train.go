package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"palabre/internal/config"
	"palabre/internal/enrich"
)

// DefaultTrainingData are the labelled sets the built-in model is trained
// on, relative to the repository: the shared development set and
// palabre's own comments. Never the test sets.
var defaultTrainingData = []string{"../shared/data/nlp/dev.jsonl", "data/comments/train.jsonl"}

// defaultModelPath is where the built-in model lives in the repository.
const defaultModelPath = "internal/enrich/model/global.bin"

func runTrain(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	fs := flag.NewFlagSet("palabre train", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	folds := fs.Int("cv", 0, "instead of writing a model, cross-validate with this many folds and print the report")
	if err := cfg.Bind(fs, env.Getenv, config.Out); err != nil {
		return usageError{err.Error()}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		rest = defaultTrainingData
	}
	if cfg.Out == "" {
		cfg.Out = defaultModelPath
	}
	var examples []enrich.Example
	for _, path := range rest {
		if strings.Contains(filepath.Base(path), "test") {
			return usagef("%s: a test set is for evaluation only; train on development data", path)
		}
		ex, err := readExamples(path)
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	if *folds > 0 {
		rep, err := enrich.CrossValidate(examples, *folds, enrich.TrainOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d-fold cross-validation on %d examples from %s\n\n", *folds, len(examples), strings.Join(rest, ", "))
		rep.Print(env.Stdout)
		return nil
	}
	m, err := enrich.Train(examples, enrich.TrainOptions{})
	if err != nil {
		return err
	}
	if err := writeFile(cfg.Out, 0o644, func(w io.Writer) error { _, err := m.WriteTo(w); return err }); err != nil {
		return err
	}
	fi, err := os.Stat(cfg.Out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "trained on %d examples from %s; wrote %s (%d bytes)\n",
		len(examples), strings.Join(rest, ", "), cfg.Out, fi.Size())
	return nil
}

func readExamples(path string) ([]enrich.Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return enrich.ReadExamples(f, path)
}

func runEval(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("eval", args, env, &cfg, config.DB, config.Workspace, config.Model, config.JSON)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("eval needs a labelled JSONL file (e.g. ../shared/data/nlp/test.jsonl)")
	}
	a, err := loadAnalyzer(ctx, cfg)
	if err != nil {
		return err
	}
	var examples []enrich.Example
	for _, path := range rest {
		ex, err := readExamples(path)
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	rep := enrich.Evaluate(a, examples)
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(rep)
	}
	fmt.Fprintf(env.Stdout, "%d examples from %s, model %s\n\n", len(examples), strings.Join(rest, ", "), a.Model().Version())
	rep.Print(env.Stdout)
	return nil
}
