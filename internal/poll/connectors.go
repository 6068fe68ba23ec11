package poll

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/connector"
	"palabre/internal/connector/feed"
	"palabre/internal/connector/mastodon"
	"palabre/internal/connector/wordpress"
	"palabre/internal/fetch"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Factories returns the connectors palabre serve polls sources with, by
// kind; client fetches for all of them.
func Factories(client *fetch.Client) map[string]Factory {
	return map[string]Factory{
		model.SourceFeed: func(_ model.Source, config []byte) (Built, error) {
			cfg, err := feed.ParseConfig(config)
			if err != nil {
				return Built{}, err
			}
			p := feed.NewPoller(cfg, client)
			return Built{Poller: p, Host: p.Host()}, nil
		},
		model.SourceWordPress: kept(func(_ model.Source, config []byte) (Built, error) {
			cfg, err := wordpress.ParseConfig(config)
			if err != nil {
				return Built{}, err
			}
			c, err := wordpress.New(cfg, client.HTTPClient(), time.Now)
			if err != nil {
				return Built{}, err
			}
			return Built{Poller: c, Sender: c, Host: c.Host()}, nil
		}),
		model.SourceEmail: func(_ model.Source, config []byte) (Built, error) {
			s, ch, err := parseEmail(config, client)
			if err != nil {
				return Built{}, err
			}
			host, _, _ := net.SplitHostPort(s.IMAPAddr)
			return Built{Poller: ch, Sender: ch, Host: host}, nil
		},
		model.SourceMastodon: kept(func(_ model.Source, config []byte) (Built, error) {
			cfg, err := parseMastodon(config)
			if err != nil {
				return Built{}, err
			}
			c, err := mastodon.New(cfg, client.HTTPClient(), time.Now)
			if err != nil {
				return Built{}, err
			}
			return Built{Poller: c, Sender: c, Host: c.Host()}, nil
		}),
	}
}

// parseMastodon reads a Mastodon source's settings, refusing unknown ones.
func parseMastodon(config []byte) (mastodon.Config, error) {
	var cfg mastodon.Config
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("mastodon settings: %w", err)
	}
	_, err := mastodon.New(cfg, nil, time.Now)
	return cfg, err
}

// Settings checks a source's settings as a user gave them and returns
// them as they are to be kept. A feed given by the address of a page (a
// blog, an article) is kept as the comment feed the page announces, which
// Settings fetches.
func Settings(ctx context.Context, client *fetch.Client, kind string, config []byte) ([]byte, error) {
	switch kind {
	case model.SourceFeed:
		cfg, err := feed.ParseConfig(config)
		if err != nil {
			return nil, err
		}
		if cfg.URL, err = feed.Discover(ctx, client, cfg.URL); err != nil {
			return nil, fmt.Errorf("feed settings: %w", err)
		}
		return json.Marshal(cfg)
	case model.SourceWordPress:
		cfg, err := wordpress.ParseConfig(config)
		if err != nil {
			return nil, err
		}
		if _, err := wordpress.New(cfg, client.HTTPClient(), time.Now); err != nil {
			return nil, err
		}
		return json.Marshal(cfg)
	case model.SourceMastodon:
		cfg, err := parseMastodon(config)
		if err != nil {
			return nil, err
		}
		return json.Marshal(cfg)
	case model.SourceWebhook:
		return webhookSettings(config)
	case model.SourceEmail:
		s, _, err := parseEmail(config, client)
		if err != nil {
			return nil, err
		}
		return json.Marshal(s)
	}
	return nil, fmt.Errorf("%w %q: this palabre cannot poll it", ErrUnknownKind, kind)
}

// Shown returns a source's kept settings without their secrets, as the API
// shows them.
func Shown(_ string, config []byte) map[string]any {
	var all map[string]any
	if err := json.Unmarshal(config, &all); err != nil {
		return map[string]any{}
	}
	for k := range all {
		if secretSetting[k] {
			all[k] = model.HiddenSecret
		}
	}
	return all
}

// secretSetting names the settings of any connector that are secrets.
var secretSetting = map[string]bool{
	"password": true, "app_password": true, "access_token": true, "token": true,
	"imap_password": true, "smtp_password": true, "secret": true,
}

// StoreIngest stores what polls read as palabre import does, each message
// analysed by its workspace's analyzer when it comes without an analysis,
// and returns how many were new. The importer records a message.new
// event for each, which wakes routing and the live inbox.
func StoreIngest(st *store.Store, an *analysis.Registry) Ingest {
	return func(ctx context.Context, src model.Source, records []connector.Record) (int, error) {
		ws, err := st.Workspace(ctx, src.WorkspaceID)
		if err != nil {
			return 0, err
		}
		opts := ingest.Options{Workspace: ws, Channel: src.Channel, ChannelKind: src.Kind}
		if an != nil {
			a, err := an.Analyzer(ctx, ws.ID)
			if err != nil {
				return 0, err
			}
			opts.Enrich = analysis.NewEnricher(a).Enrich
		}
		for i := range records {
			records[i].Message.Channel = src.Channel
		}
		sum, err := ingest.Import(ctx, st, ingest.FromRecords(records), opts)
		return sum.Inserted, err
	}
}

// WebhookConfig is an inbound webhook's settings: the secret its senders
// sign with.
type WebhookConfig struct {
	Secret string `json:"secret"`
}

// webhookSettings checks an inbound webhook's settings and, without a
// secret, makes one (whsec_ and 48 hexadecimal digits).
func webhookSettings(config []byte) ([]byte, error) {
	var cfg WebhookConfig
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("webhook settings: %w", err)
	}
	switch {
	case cfg.Secret == "":
		var b [24]byte
		rand.Read(b[:])
		cfg.Secret = "whsec_" + hex.EncodeToString(b[:])
	case len(cfg.Secret) < 24 || len(cfg.Secret) > 200:
		return nil, errors.New("webhook settings: secret: must have 24 to 200 characters")
	}
	return json.Marshal(cfg)
}

// kept makes a factory build a source's connector once and give it again
// while the source's settings stay the same: the WordPress and Mastodon
// connectors learn who they are signed in as on their first request, and
// a new one for every poll would ask again each time. Their connectors
// are safe for concurrent use (a poll and the outbox's sending).
func kept(f Factory) Factory {
	type entry struct {
		config string
		built  Built
	}
	var mu sync.Mutex
	built := map[int64]entry{}
	return func(src model.Source, config []byte) (Built, error) {
		mu.Lock()
		e, ok := built[src.ID]
		mu.Unlock()
		if ok && e.config == string(config) {
			return e.built, nil
		}
		b, err := f(src, config)
		if err != nil {
			return Built{}, err
		}
		mu.Lock()
		if len(built) >= maxKeptConnectors {
			clear(built)
		}
		built[src.ID] = entry{string(config), b}
		mu.Unlock()
		return b, nil
	}
}

// maxKeptConnectors bounds the connectors kept by a factory.
const maxKeptConnectors = 10_000
