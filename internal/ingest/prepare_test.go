package ingest

import (
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

func TestCanonicalID(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"https://gregfromparis.example/?p=1843#comment-5022", "https://gregfromparis.example/?p=1843#comment-5022"},
		{"http://GregFromParis.example/?p=1843#comment-5022", "https://gregfromparis.example/?p=1843#comment-5022"},
		{"https://blog.example/?p=7&replytocom=3#comment-4", "https://blog.example/?p=7#comment-4"},
		{"https://blog.example?p=7", "https://blog.example/?p=7"},
		{"https://example.org/blog/?p=7", "https://example.org/blog/?p=7"},
		{"  https://blog.example/?p=7  ", "https://blog.example/?p=7"},
		{"https://blog.example/?p=abc", "https://blog.example/?p=abc"},             // not a post id
		{"https://blog.example/?p=7#respond", "https://blog.example/?p=7#respond"}, // not a comment anchor
		{"ftp://blog.example/?p=7", "ftp://blog.example/?p=7"},
		{"tag:blog.example,2024:7", "tag:blog.example,2024:7"},
		{"12345", "12345"},
		{"", ""},
	}
	for _, c := range cases {
		if got := CanonicalID(c.in); got != c.want {
			t.Errorf("CanonicalID(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIdentityKeys(t *testing.T) {
	t.Parallel()
	m := model.Message{AuthorEmail: " Cedric@Example.COM ", AuthorHandle: "@Ced", AuthorName: "  Cédric   D "}
	keys := IdentityKeys("blog", m)
	var got []string
	for _, k := range keys {
		got = append(got, k.Key)
	}
	want := "email:cedric@example.com handle:blog:ced name:blog:cédric d"
	if strings.Join(got, " ") != want {
		t.Fatalf("keys %v, want %s", got, want)
	}
	for _, name := range []string{"Anonymous", "anonyme", "  ", ""} {
		if k := IdentityKeys("blog", model.Message{AuthorName: name}); len(k) != 0 {
			t.Errorf("%q identifies someone: %v", name, k)
		}
	}
	if k := IdentityKeys("blog", model.Message{AuthorEmail: "not-an-address"}); len(k) != 0 {
		t.Errorf("an address without @ became an identity: %v", k)
	}
}

func TestMemberIDStable(t *testing.T) {
	t.Parallel()
	a := MemberID("velo", "email:x@example.org")
	if a != MemberID("velo", "email:x@example.org") || !strings.HasPrefix(a, "m_") || len(a) != 26 {
		t.Fatalf("member id %q not stable or malformed", a)
	}
	if a == MemberID("banque", "email:x@example.org") {
		t.Fatal("two workspaces share a member id")
	}
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 2, 9, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	ok := model.Message{ExternalID: " p1 ", Body: "Bonjour\x00 !", CreatedAt: at, AuthorName: "Ana", Title: "Horaires ?"}
	item, err := Prepare("velo", "blog", ok)
	if err != nil {
		t.Fatal(err)
	}
	m := item.Message
	if m.ExternalID != "p1" || item.Root != "p1" || m.ConversationExternalID != "p1" || m.Kind != model.KindPost ||
		m.Status != model.StatusApproved || m.Body != "Bonjour !" || m.Channel != "blog" || item.Subject != "Horaires ?" {
		t.Fatalf("prepared %+v", item)
	}
	if m.CreatedAt.Location() != time.UTC || m.CreatedAt.Nanosecond() != 123456000 {
		t.Fatalf("time %v not UTC at microsecond precision", m.CreatedAt)
	}
	if item.NewMemberID != MemberID("velo", "name:blog:ana") || item.DisplayName != "Ana" {
		t.Fatalf("member %q %q", item.NewMemberID, item.DisplayName)
	}

	reply := model.Message{ExternalID: "c2", ParentExternalID: "c1", Body: "x", CreatedAt: at}
	item, err = Prepare("velo", "blog", reply)
	if err != nil || item.Root != "" || item.Message.Kind != model.KindReply || item.Subject != "" {
		t.Fatalf("reply without conversation: %+v, %v", item, err)
	}
	comment := model.Message{ExternalID: "c1", ParentExternalID: "p1", ConversationExternalID: "p1", Body: "x", CreatedAt: at}
	if item, err = Prepare("velo", "blog", comment); err != nil || item.Message.Kind != model.KindComment {
		t.Fatalf("comment: %+v, %v", item, err)
	}

	bad := []struct {
		name string
		m    model.Message
		want string
	}{
		{"no id", model.Message{Body: "x", CreatedAt: at}, "external_id"},
		{"blank id", model.Message{ExternalID: "  ", Body: "x", CreatedAt: at}, "external_id"},
		{"no time", model.Message{ExternalID: "a", Body: "x"}, "created_at"},
		{"long id", model.Message{ExternalID: strings.Repeat("a", 2000), Body: "x", CreatedAt: at}, "bytes"},
		{"huge body", model.Message{ExternalID: "a", Body: strings.Repeat("a", 2<<20), CreatedAt: at}, "body"},
		{"bad kind", model.Message{ExternalID: "a", Body: "x", CreatedAt: at, Kind: "tweet"}, "kind"},
		{"bad status", model.Message{ExternalID: "a", Body: "x", CreatedAt: at, Status: "hidden"}, "status"},
	}
	for _, b := range bad {
		if _, err := Prepare("velo", "blog", b.m); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: got %v, want an error about %s", b.name, err, b.want)
		}
	}
}

func TestPrepareRepairsText(t *testing.T) {
	t.Parallel()
	m := model.Message{ExternalID: "a\x00b", Body: "caf\xe9", AuthorName: "Zo\xffé", CreatedAt: time.Unix(0, 0)}
	item, err := Prepare("w", "c", m)
	if err != nil {
		t.Fatal(err)
	}
	if item.Message.ExternalID != "ab" || item.Message.Body != "caf\uFFFD" || item.Message.AuthorName != "Zo\uFFFDé" {
		t.Fatalf("text not repaired: %+v", item.Message)
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("mot ", 60)
	s := Subject(model.Message{Body: "\n  première ligne  \nseconde"})
	if s != "première ligne" {
		t.Fatalf("subject %q", s)
	}
	s = Subject(model.Message{Body: long})
	if r := []rune(s); len(r) != subjectRunes || !strings.HasSuffix(s, "…") {
		t.Fatalf("long subject %q (%d runes)", s, len(r))
	}
}
