package analysis

import (
	"context"
	"fmt"

	"palabre/internal/enrich"
	"palabre/internal/store"
)

// ReanalyzeOptions tune a reanalysis.
type ReanalyzeOptions struct {
	BatchSize int    // messages per transaction; 0 means 1,000
	Actor     string // who asked, for the audit log
	// Progress is told how many messages are done out of how many, after
	// each batch.
	Progress func(done, total int64)
}

// ReanalyzeSummary is what a reanalysis did; its JSON form is the one
// `palabre reanalyze --json` prints.
type ReanalyzeSummary struct {
	Messages int64  `json:"messages"` // analysed by this run
	Total    int64  `json:"total"`    // messages of the workspace
	Resumed  bool   `json:"resumed"`  // continued an interrupted run
	Version  string `json:"version"`
}

// Reanalyze analyses every stored message of a workspace again with a and
// stores the results, batch by batch, each batch in one transaction with a
// checkpoint. A run that was interrupted resumes after its last batch when
// run again with the same analysis version, and starts over otherwise.
// Fields a CM corrected are left as corrected.
func Reanalyze(ctx context.Context, st *store.Store, a *enrich.Analyzer, workspaceID int64, opt ReanalyzeOptions) (ReanalyzeSummary, error) {
	size := opt.BatchSize
	if size <= 0 {
		size = 1000
	}
	sum := ReanalyzeSummary{Version: Version(a)}
	state, ok, err := st.ReanalysisState(ctx, workspaceID)
	if err != nil {
		return sum, err
	}
	var after, done int64
	if ok && state.Version == sum.Version {
		after, done, sum.Resumed = state.LastID, state.Done, true
	}
	if sum.Total, err = st.CountMessages(ctx, workspaceID); err != nil {
		return sum, err
	}
	if opt.Progress != nil {
		opt.Progress(done, sum.Total)
	}
	s := enrich.NewScratch(a.Model())
	rows := make([]store.Analysis, 0, size)
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		inputs, err := st.AnalysisInputs(ctx, workspaceID, after, size)
		if err != nil {
			return sum, err
		}
		if len(inputs) == 0 {
			break
		}
		rows = rows[:0]
		for _, in := range inputs {
			var row store.Analysis
			row.ID = in.ID
			Apply(&row.Message, a.Analyze(s, Text(in.Title, in.Body)), in.IsStaff)
			rows = append(rows, row)
		}
		after = inputs[len(inputs)-1].ID
		done += int64(len(inputs))
		sum.Messages += int64(len(inputs))
		cp := store.Reanalysis{Version: sum.Version, LastID: after, Done: done, Total: sum.Total}
		if err := st.SaveAnalyses(ctx, workspaceID, rows, cp); err != nil {
			return sum, fmt.Errorf("reanalyze: %w", err)
		}
		if opt.Progress != nil {
			opt.Progress(done, sum.Total)
		}
	}
	actor := opt.Actor
	if actor == "" {
		actor = "cli"
	}
	if err := st.FinishReanalysis(ctx, workspaceID, actor, store.Reanalysis{Version: sum.Version, Done: done}); err != nil {
		return sum, err
	}
	return sum, nil
}
