package mastodon

import (
	"context"
	"net/url"

	"palabre/internal/connector"
)

// threads finds where statuses sit in their threads. A status names its
// parent by the instance's local id only; the parent's URI, and the
// thread's root, come from the status's context, which one request gives
// for a whole thread. What a context showed is remembered for the rest of
// the poll, so that the mentions of one busy thread cost one request.
type threads struct {
	c      *Client
	known  map[string]node // by local status id
	budget int             // context requests left
}

// node is what is known of a status: its URI and its thread's root's.
type node struct{ uri, root string }

func newThreads(c *Client, budget int) *threads {
	return &threads{c: c, known: make(map[string]node), budget: budget}
}

// place returns where s sits, looking its thread up when need be. ok is
// false when that needed a request and none is left.
func (t *threads) place(ctx context.Context, s status) (place, bool, error) {
	if p, ok := t.placeOf(s); ok {
		return p, true, nil
	}
	if t.budget <= 0 {
		return place{}, false, nil
	}
	if _, err := t.lookUp(ctx, s); err != nil {
		return place{}, false, err
	}
	p, _ := t.placeOf(s)
	return p, true, nil
}

// placeOf returns where s sits from what is known already: ok is false
// when its parent has not been seen.
func (t *threads) placeOf(s status) (place, bool) {
	if s.InReplyToID == "" {
		t.known[s.ID] = node{uri: s.URI, root: s.URI}
		return place{root: s.URI}, true
	}
	if parent, ok := t.known[s.InReplyToID]; ok {
		t.known[s.ID] = node{uri: s.URI, root: parent.root}
		return place{parent: parent.uri, root: parent.root}, true
	}
	if n, ok := t.known[s.ID]; ok { // looked up, but the parent was not shown
		return place{root: n.root}, true
	}
	return place{}, false
}

// lookUp asks for the context of s, remembers every status it shows and
// returns those below s. A context the instance refuses (s deleted since,
// or not visible) leaves s alone in its thread; other failures are
// returned.
func (t *threads) lookUp(ctx context.Context, s status) ([]status, error) {
	t.budget--
	var tc threadContext
	err := t.c.get(ctx, "/api/v1/statuses/"+url.PathEscape(s.ID)+"/context", nil, &tc)
	if connector.IsPermanent(err) {
		t.known[s.ID] = node{uri: s.URI, root: s.URI}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	root := s.URI
	if len(tc.Ancestors) > 0 && tc.Ancestors[0].URI != "" {
		root = tc.Ancestors[0].URI
	}
	for _, a := range tc.Ancestors {
		t.known[a.ID] = node{uri: a.URI, root: root}
	}
	t.known[s.ID] = node{uri: s.URI, root: root}
	for _, d := range tc.Descendants {
		t.known[d.ID] = node{uri: d.URI, root: root}
	}
	return tc.Descendants, nil
}
