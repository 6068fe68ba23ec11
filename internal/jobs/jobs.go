// Package jobs runs the work a palabre server does on its own, besides
// answering requests: routing the conversations nobody holds, waking
// snoozed conversations, computing SLA due times and escalating breaches,
// delivering webhooks, and purging what expired. Every job is safe to run
// in several processes on one PostgreSQL database at once: each change is
// a compare-and-set or a lease in the store, so two nodes never both
// assign a conversation, escalate a breach or deliver a webhook.
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Job is one kind of recurring work.
type Job struct {
	Name  string
	Every time.Duration
	// Run does one round; its error is logged and the job goes on at its
	// next round.
	Run func(ctx context.Context, now time.Time) error
	// OnKick makes Kick run it at once, or KickGap after its last
	// round began if that is later.
	OnKick bool
	// KickGap spaces the rounds Kick starts: under a stream of arrivals,
	// each kicking, a round then takes what arrived since the last one
	// instead of running again and again for one message each. A round
	// that took long spaces them more (see KickShare).
	KickGap time.Duration
}

// KickShare is the most of its time a job kicked without pause spends in
// its rounds: a kicked round starts KickShare times the last round's
// length after that round began, if that is later than KickGap. Rounds
// that grow slow — a database busy with a stream of imports — then
// leave it to the imports rather than take more of it; the job's period
// (Every) still bounds the wait.
const KickShare = 10

// DefaultKickGap is the KickGap Kicked gives: what arrives is looked at
// within a fifth of a second, and a job kicked without pause runs at
// most five rounds a second.
const DefaultKickGap = 200 * time.Millisecond

// Kicked returns j made to run on Kick too, at most once per
// DefaultKickGap.
func Kicked(j Job) Job {
	j.OnKick = true
	j.KickGap = DefaultKickGap
	return j
}

// Runner runs jobs until its context ends.
type Runner struct {
	jobs   []Job
	logger *slog.Logger
	kick   chan struct{}
}

// NewRunner returns a runner of jobs.
func NewRunner(logger *slog.Logger, jobs ...Job) *Runner {
	return &Runner{jobs: jobs, logger: logger, kick: make(chan struct{}, 1)}
}

// Kick makes the jobs marked OnKick run a round now rather than at their
// next tick, as when new messages arrived. It never blocks.
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run runs each job every its period, and those marked OnKick on Kick,
// until ctx ends; a round in progress then finishes first.
func (r *Runner) Run(ctx context.Context) {
	kicks := make([]chan struct{}, len(r.jobs))
	var wg sync.WaitGroup
	for i, j := range r.jobs {
		kicks[i] = make(chan struct{}, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx, j, kicks[i])
		}()
	}
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-r.kick:
			for i, k := range kicks {
				if !r.jobs[i].OnKick {
					continue
				}
				select {
				case k <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (r *Runner) loop(ctx context.Context, j Job, kick <-chan struct{}) {
	t := time.NewTicker(j.Every)
	defer t.Stop()
	for {
		start := time.Now()
		if err := j.Run(ctx, start); err != nil && ctx.Err() == nil {
			r.logger.ErrorContext(ctx, "job failed", slog.String("job", j.Name), slog.Any("error", err))
		}
		gap := max(j.KickGap, KickShare*time.Since(start))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
			if wait := gap - time.Since(start); wait > 0 {
				pause := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					pause.Stop()
					return
				case <-pause.C:
				case <-t.C:
					pause.Stop()
				}
			}
		}
	}
}
