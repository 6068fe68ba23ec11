package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/idempotency"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// memStore is an in-memory idempotency.Store with knobs to make it fail.
type memStore struct {
	mu        sync.Mutex
	keys      map[string]idempotency.Record
	beginErr  error
	finishErr error
	releases  int
}

func newMemStore() *memStore { return &memStore{keys: make(map[string]idempotency.Record)} }

func memKey(userID int64, key string) string { return strconv.FormatInt(userID, 10) + "/" + key }

func (m *memStore) BeginIdempotent(_ context.Context, userID int64, key, fingerprint string, now time.Time) (*idempotency.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.beginErr != nil {
		return nil, m.beginErr
	}
	k := memKey(userID, key)
	if rec, ok := m.keys[k]; ok && now.Sub(rec.CreatedAt) < idempotency.KeyTTL {
		return &rec, nil
	}
	m.keys[k] = idempotency.Record{Fingerprint: fingerprint, CreatedAt: now}
	return nil, nil
}

func (m *memStore) FinishIdempotent(_ context.Context, userID int64, key string, status int, contentType string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.finishErr != nil {
		return m.finishErr
	}
	k := memKey(userID, key)
	rec, ok := m.keys[k]
	if !ok || !rec.InProgress() {
		return errors.New("no request in progress")
	}
	rec.Status, rec.ContentType, rec.Body = status, contentType, append([]byte(nil), body...)
	m.keys[k] = rec
	return nil
}

func (m *memStore) ReleaseIdempotent(_ context.Context, userID int64, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.releases++
	k := memKey(userID, key)
	if rec, ok := m.keys[k]; ok && rec.InProgress() {
		delete(m.keys, k)
	}
	return nil
}

func (m *memStore) record(userID int64, key string) (idempotency.Record, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[memKey(userID, key)]
	return rec, ok
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// userFromHeader stands for the API's authentication: X-User holds the id.
func userFromHeader(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.Header.Get("X-User"), 10, 64)
	return id, err == nil
}

// creator is a handler that counts its runs and answers 201 with the run
// number and the body it read, unless the request asks otherwise.
type creator struct {
	runs atomic.Int64
}

func (c *creator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.runs.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		httpx.WriteProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	switch r.URL.Query().Get("answer") {
	case "500":
		httpx.WriteProblem(w, http.StatusInternalServerError, "boom")
	case "empty":
		// Nothing written: an implicit 200.
	case "huge":
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(strings.Repeat("x", idempotency.MaxBodySize)))
		w.Write([]byte("more"))
	case "abort":
		panic(http.ErrAbortHandler)
	default:
		httpx.WriteJSON(w, http.StatusCreated, map[string]any{"run": n, "got": string(body)})
	}
}

type answer struct {
	status      int
	contentType string
	replayed    string
	body        string
}

func post(t *testing.T, url, user, body string, keys ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("X-User", user)
	}
	for _, k := range keys {
		req.Header.Add(idempotency.HeaderKey, k)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get(idempotency.HeaderReplayed), string(b)}
}

func newServer(t *testing.T, st idempotency.Store, next http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(idempotency.Middleware(st, userFromHeader, next))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the aborted handler's report
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func wantProblem(t *testing.T, got answer, status int, detail string) {
	t.Helper()
	var p httpx.Problem
	if got.status != status || got.contentType != httpx.ContentTypeProblem ||
		json.Unmarshal([]byte(got.body), &p) != nil || p.Status != status || !strings.Contains(p.Detail, detail) {
		t.Fatalf("got %d %s %s, want a %d problem saying %q", got.status, got.contentType, got.body, status, detail)
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	h := &creator{}
	srv := newServer(t, st, h)

	first := post(t, srv.URL+"/api/v1/replies?draft=1", "7", `{"text":"merci"}`, "k-1")
	if first.status != http.StatusCreated || first.replayed != "" || !strings.Contains(first.body, `"got":"{\"text\":\"merci\"}"`) {
		t.Fatalf("first answer %+v: want 201 from the handler, which read the whole body", first)
	}
	second := post(t, srv.URL+"/api/v1/replies?draft=1", "7", `{"text":"merci"}`, "k-1")
	if second.replayed != "true" || second.status != first.status || second.body != first.body ||
		second.contentType != first.contentType {
		t.Fatalf("second answer %+v, want a replay of %+v", second, first)
	}
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
	// The draft's quoted form names the same key.
	if third := post(t, srv.URL+"/api/v1/replies?draft=1", "7", `{"text":"merci"}`, `"k-1"`); third.replayed != "true" || third.body != first.body {
		t.Fatalf("quoted key: %+v, want the replay", third)
	}
	// Keys are per user.
	if other := post(t, srv.URL+"/api/v1/replies?draft=1", "8", `{"text":"merci"}`, "k-1"); other.replayed != "" || !strings.Contains(other.body, `"run":2`) {
		t.Fatalf("another user's request with the same key: %+v, want it served", other)
	}
}

func TestSameKeyDifferentRequest(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	h := &creator{}
	srv := newServer(t, st, h)
	if a := post(t, srv.URL+"/a?x=1", "7", "body", "k"); a.status != http.StatusCreated {
		t.Fatalf("first request: %+v", a)
	}
	for name, url := range map[string]string{"body": srv.URL + "/a?x=1", "path": srv.URL + "/b?x=1", "query": srv.URL + "/a?x=2"} {
		body := "body"
		if name == "body" {
			body = "other body"
		}
		wantProblem(t, post(t, url, "7", body, "k"), http.StatusUnprocessableEntity, "different request")
	}
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestInProgress(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	entered, release := make(chan struct{}), make(chan struct{})
	var runs atomic.Int64
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		close(entered)
		<-release
		httpx.WriteJSON(w, http.StatusCreated, map[string]string{"ok": "yes"})
	})
	srv := newServer(t, st, slow)

	firstDone := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slow", strings.NewReader("x"))
		req.Header.Set("X-User", "7")
		req.Header.Set(idempotency.HeaderKey, "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			firstDone <- answer{}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		firstDone <- answer{status: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request never reached the handler")
	}
	wantProblem(t, post(t, srv.URL+"/slow", "7", "x", "k"), http.StatusConflict, "still being served")
	close(release)
	var first answer
	select {
	case first = <-firstDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request never finished")
	}
	if first.status != http.StatusCreated {
		t.Fatalf("first request: %+v", first)
	}
	if again := post(t, srv.URL+"/slow", "7", "x", "k"); again.replayed != "true" || again.body != first.body {
		t.Fatalf("after the first finished: %+v, want its replay", again)
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestPassThrough(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	h := &creator{}
	srv := newServer(t, st, h)
	for i := range 2 {
		post(t, srv.URL+"/no-key", "7", "x")   // no header
		post(t, srv.URL+"/anon", "", "x", "k") // no user
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/put", strings.NewReader("x"))
		req.Header.Set("X-User", "7")
		req.Header.Set(idempotency.HeaderKey, "k")
		if a := do(t, req); a.replayed != "" || a.status != http.StatusCreated {
			t.Fatalf("PUT %d: %+v, want it served", i, a)
		}
	}
	if n := h.runs.Load(); n != 6 {
		t.Fatalf("handler ran %d times, want 6: nothing is replayed without POST, key and user", n)
	}
	if n := st.count(); n != 0 {
		t.Fatalf("%d keys stored for requests that pass through", n)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	h := &creator{}
	srv := newServer(t, st, h)
	for name, keys := range map[string][]string{
		"empty quoted": {`""`},
		"too long":     {strings.Repeat("k", idempotency.MaxKeyLen+1)},
		"not ascii":    {"clé"},
		"control":      {"a\tb"},
		"bad escape":   {`"a\b"`},
		"twice":        {"a", "b"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, post(t, srv.URL+"/x", "7", "x", keys...), http.StatusBadRequest, "Idempotency-Key")
		})
	}
	wantProblem(t, post(t, srv.URL+"/x", "7", strings.Repeat("b", idempotency.MaxBodySize+1), "big"),
		http.StatusRequestEntityTooLarge, "at most")
	if a := post(t, srv.URL+"/x", "7", "x", strings.Repeat("k", idempotency.MaxKeyLen)); a.status != http.StatusCreated {
		t.Fatalf("a key of the longest length: %+v", a)
	}
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1 (refused requests never reach it)", n)
	}
	if _, ok := st.record(7, "big"); ok {
		t.Fatal("a refused body claimed its key")
	}
}

// TestKeyReleased covers the answers that are not kept: the key is free
// again and the handler runs on the retry.
func TestKeyReleased(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{"500", "huge", "abort", "finish-fails"} {
		t.Run(answer, func(t *testing.T) {
			t.Parallel()
			st := newMemStore()
			if answer == "finish-fails" {
				st.finishErr = errors.New("database gone")
			}
			h := &creator{}
			srv := newServer(t, st, h)
			url := srv.URL + "/x?answer=" + answer
			for range 2 {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("x"))
				req.Header.Set("X-User", "7")
				req.Header.Set(idempotency.HeaderKey, "k")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					if resp.Header.Get(idempotency.HeaderReplayed) != "" {
						t.Fatal("replayed an answer that should not be kept")
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
			if n := h.runs.Load(); n != 2 {
				t.Fatalf("handler ran %d times, want 2: the key must be released", n)
			}
			if _, ok := st.record(7, "k"); ok {
				t.Fatal("the key is still stored")
			}
		})
	}
}

func TestEmptyAnswerKept(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	h := &creator{}
	srv := newServer(t, st, h)
	first := post(t, srv.URL+"/x?answer=empty", "7", "", "k")
	second := post(t, srv.URL+"/x?answer=empty", "7", "", "k")
	if first.status != http.StatusOK || second.status != http.StatusOK || second.replayed != "true" || second.body != "" {
		t.Fatalf("first %+v, second %+v; want 200 then its empty replay", first, second)
	}
	if n := h.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	st.beginErr = errors.New("database gone")
	h := &creator{}
	srv := newServer(t, st, h)
	wantProblem(t, post(t, srv.URL+"/x", "7", "x", "k"), http.StatusServiceUnavailable, "try again")
	if n := h.runs.Load(); n != 0 {
		t.Fatalf("handler ran %d times without its key checked", n)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"abc-123", "abc-123", true},
		{`"8e03978e-40d5"`, "8e03978e-40d5", true},
		{`"a \"quoted\" \\ key"`, `a "quoted" \ key`, true},
		{`"`, `"`, true}, // a lone quote is a bare key of one character
		{"", "", false},
		{`""`, "", false},
		{`"abc`, "", false},
		{`"a"b"`, "", false},
		{`"a\"`, "", false},
		{"é", "", false},
		{"a\x7fb", "", false},
		{strings.Repeat("x", 255), strings.Repeat("x", 255), true},
		{`"` + strings.Repeat("x", 256) + `"`, "", false},
	} {
		got, err := idempotency.ParseKey(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseKey(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	base := idempotency.Fingerprint("POST", "/a", "x=1", []byte("body"))
	if len(base) != 64 || base != idempotency.Fingerprint("POST", "/a", "x=1", []byte("body")) {
		t.Fatalf("fingerprint %q is not a stable hex SHA-256", base)
	}
	for _, other := range []string{
		idempotency.Fingerprint("PUT", "/a", "x=1", []byte("body")),
		idempotency.Fingerprint("POST", "/a?", "x=1", []byte("body")),
		idempotency.Fingerprint("POST", "/a", "x=1b", []byte("ody")), // same bytes, other split
		idempotency.Fingerprint("POST", "/a", "x=1", []byte("body ")),
	} {
		if other == base {
			t.Fatal("two different requests share a fingerprint")
		}
	}
}

// TestWithStore runs the middleware on palabre's real store (SQLite).
func TestWithStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testutil.NewStore(t, store.EngineSQLite)
	u, err := st.CreateUser(ctx, model.User{Login: "ana"}, "fake-hash", "test")
	if err != nil {
		t.Fatal(err)
	}
	h := &creator{}
	srv := newServer(t, st, h)
	user := strconv.FormatInt(u.ID, 10)

	first := post(t, srv.URL+"/api/v1/replies", user, `{"text":"bonjour"}`, "e2e-1")
	second := post(t, srv.URL+"/api/v1/replies", user, `{"text":"bonjour"}`, "e2e-1")
	if first.status != http.StatusCreated || first.replayed != "" {
		t.Fatalf("first answer %+v", first)
	}
	if second != (answer{first.status, first.contentType, "true", first.body}) {
		t.Fatalf("second answer %+v, want the replay of %+v", second, first)
	}
	wantProblem(t, post(t, srv.URL+"/api/v1/replies", user, `{"text":"salut"}`, "e2e-1"),
		http.StatusUnprocessableEntity, "different request")
	if a := post(t, srv.URL+"/api/v1/replies?answer=500", user, "", "e2e-2"); a.status != http.StatusInternalServerError {
		t.Fatalf("failing request: %+v", a)
	}
	if a := post(t, srv.URL+"/api/v1/replies?answer=500", user, "", "e2e-2"); a.replayed != "" {
		t.Fatalf("a 500 was replayed: %+v", a)
	}
	if n := h.runs.Load(); n != 3 {
		t.Fatalf("handler ran %d times, want 3 (once for e2e-1, twice for the failing e2e-2)", n)
	}
	n, err := st.PurgeIdempotencyKeys(ctx, time.Now().Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("purge: %d, %v; want the one kept key", n, err)
	}
}

// FuzzParseKey checks that a key ParseKey accepts is 1 to 255 printable
// ASCII characters, whatever the header held.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"abc", `"abc"`, `"a\"b"`, "", `"`, "é", strings.Repeat("k", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		key, err := idempotency.ParseKey(header)
		if err != nil {
			return
		}
		if len(key) < 1 || len(key) > idempotency.MaxKeyLen {
			t.Fatalf("ParseKey(%q) = %q: length %d", header, key, len(key))
		}
		for _, c := range []byte(key) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("ParseKey(%q) = %q: byte %#x", header, key, c)
			}
		}
	})
}
