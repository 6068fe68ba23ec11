package demo

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"palabre/internal/model"
)

// refNow is an arbitrary reference time, in a non-UTC zone and with
// nanoseconds on purpose.
func refNow() time.Time {
	return time.Date(2025, 6, 2, 9, 30, 15, 123456789, time.FixedZone("CEST", 2*3600))
}

// expectations per brand: what a CM opening the demo should find.
type expect struct {
	slug        string
	min, max    int     // messages
	minStaff    int     // staff answers (not counting the brand's own posts)
	minSpam     int     // messages with an obvious spam marker
	minFrench   float64 // share of messages that read as French
	minEnglish  float64 // share of messages that read as English
	minRecurrer int     // members who wrote in at least 3 conversations
}

func expectations() []expect {
	return []expect{
		{slug: "maison-lumiere", min: 100, max: 170, minStaff: 15, minSpam: 4, minFrench: 0.75, minEnglish: 0.02, minRecurrer: 3},
		{slug: "velo-atelier", min: 100, max: 170, minStaff: 15, minSpam: 4, minFrench: 0.25, minEnglish: 0.30, minRecurrer: 3},
		{slug: "banque-des-alpes", min: 100, max: 170, minStaff: 15, minSpam: 3, minFrench: 0.75, minEnglish: 0.02, minRecurrer: 3},
	}
}

func TestBrands(t *testing.T) {
	t.Parallel()
	brands := Brands()
	want := map[string]struct{ sector, lang string }{
		"maison-lumiere":   {"cosmetics", "fr"},
		"velo-atelier":     {"cycling", "en"},
		"banque-des-alpes": {"banking", "fr"},
	}
	if len(brands) != len(want) {
		t.Fatalf("Brands() returned %d brands, want %d", len(brands), len(want))
	}
	kinds := map[string]bool{kindWordPress: true, kindForum: true, kindInstagram: true, kindFacebook: true, kindEmail: true}
	for _, b := range brands {
		ws := b.Workspace
		w, ok := want[ws.Slug]
		if !ok {
			t.Errorf("unexpected brand %q", ws.Slug)
			continue
		}
		if ws.Name == "" || ws.Sector != w.sector || ws.Language != w.lang {
			t.Errorf("%s: name %q sector %q language %q, want a name, %q, %q", ws.Slug, ws.Name, ws.Sector, ws.Language, w.sector, w.lang)
		}
		if ws.ID != 0 || !ws.CreatedAt.IsZero() {
			t.Errorf("%s: workspace ID and CreatedAt must be left to the store", ws.Slug)
		}
		if n := len(b.Channels); n < 2 || n > 4 {
			t.Errorf("%s: %d channels, want 2 to 4", ws.Slug, n)
		}
		names := map[string]bool{}
		for _, c := range b.Channels {
			if c.Name == "" || !kinds[c.Kind] {
				t.Errorf("%s: channel %q has kind %q", ws.Slug, c.Name, c.Kind)
			}
			if names[c.Name] {
				t.Errorf("%s: channel %q listed twice", ws.Slug, c.Name)
			}
			names[c.Name] = true
			if c.ID != 0 || c.WorkspaceID != 0 {
				t.Errorf("%s: channel %q IDs must be left to the store", ws.Slug, c.Name)
			}
		}
	}
}

func TestMessagesUnknownSlug(t *testing.T) {
	t.Parallel()
	if got := Messages("no-such-brand", refNow()); got != nil {
		t.Errorf("Messages(unknown) returned %d messages, want nil", len(got))
	}
}

func TestMessagesDeterministic(t *testing.T) {
	t.Parallel()
	for _, b := range Brands() {
		slug := b.Workspace.Slug
		first := Messages(slug, refNow())
		if len(first) == 0 {
			t.Fatalf("%s: no messages", slug)
		}
		if again := Messages(slug, refNow()); !reflect.DeepEqual(first, again) {
			t.Errorf("%s: two calls with the same now differ", slug)
		}
	}
}

func TestMessagesShiftWithNow(t *testing.T) {
	t.Parallel()
	shift := 49*time.Hour + 37*time.Minute + 12*time.Second + 345*time.Millisecond
	for _, b := range Brands() {
		slug := b.Workspace.Slug
		before := Messages(slug, refNow())
		after := Messages(slug, refNow().Add(shift))
		if len(before) != len(after) {
			t.Fatalf("%s: %d messages, then %d with a later now", slug, len(before), len(after))
		}
		for i := range before {
			if got, want := after[i].CreatedAt, before[i].CreatedAt.Add(shift); !got.Equal(want) {
				t.Fatalf("%s: message %d dated %v with the later now, want %v", slug, i, got, want)
			}
			x, y := before[i], after[i]
			x.CreatedAt, y.CreatedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(x, y) {
				t.Fatalf("%s: message %d differs beyond its date:\n%+v\n%+v", slug, i, x, y)
			}
		}
	}
}

func TestMessagesPerBrand(t *testing.T) {
	t.Parallel()
	brands := map[string]Brand{}
	for _, b := range Brands() {
		brands[b.Workspace.Slug] = b
	}
	for _, e := range expectations() {
		t.Run(e.slug, func(t *testing.T) {
			t.Parallel()
			b, ok := brands[e.slug]
			if !ok {
				t.Fatalf("no brand %q", e.slug)
			}
			ms := Messages(e.slug, refNow())
			if len(ms) < e.min || len(ms) > e.max {
				t.Errorf("%d messages, want %d to %d", len(ms), e.min, e.max)
			}
			checkValid(t, b, ms)
			checkThreads(t, ms)
			checkWork(t, ms, e)
			checkLanguages(t, ms, e)
			checkMembers(t, ms, e)
		})
	}
}

// checkValid checks each message on its own.
func checkValid(t *testing.T, b Brand, ms []model.Message) {
	t.Helper()
	kinds := map[string]string{}
	for _, c := range b.Channels {
		kinds[c.Name] = c.Kind
	}
	seenChannel := map[string]bool{}
	oldest, newest := refNow(), refNow().Add(-365*24*time.Hour)
	for i, m := range ms {
		where := m.Channel + " " + m.ExternalID
		if m.ExternalID == "" || strings.TrimSpace(m.Body) == "" || m.CreatedAt.IsZero() {
			t.Errorf("message %d: empty external id, body or date: %+v", i, m)
		}
		if !model.ValidKind(m.Kind) {
			t.Errorf("%s: invalid kind %q", where, m.Kind)
		}
		if _, ok := kinds[m.Channel]; !ok {
			t.Errorf("%s: channel %q is not one of the brand's", where, m.Channel)
		}
		seenChannel[m.Channel] = true
		if strings.ContainsAny(m.Body+m.Title, "{}") {
			t.Errorf("%s: unfilled placeholder in %q", where, m.Title+" "+m.Body)
		}
		if m.AuthorName == "" && m.AuthorHandle == "" && m.AuthorEmail == "" {
			t.Errorf("%s: no author identity at all", where)
		}
		if m.Lang != "" || m.Sentiment != "" || m.SentimentScore != nil || m.Intent != "" ||
			m.NeedsResponse != nil || m.Spam != nil || m.Topics != nil || m.MemberID != "" {
			t.Errorf("%s: analysis fields or member id set; they are computed later", where)
		}
		if !m.CreatedAt.Before(refNow()) {
			t.Errorf("%s: dated %v, not before now %v", where, m.CreatedAt, refNow())
		}
		oldest = minTime(oldest, m.CreatedAt)
		newest = maxTime(newest, m.CreatedAt)
	}
	for name := range kinds {
		if !seenChannel[name] {
			t.Errorf("channel %q has no message", name)
		}
	}
	if age := refNow().Sub(oldest); age > 61*24*time.Hour || age < 45*24*time.Hour {
		t.Errorf("oldest message is %v old, want about 60 days", age)
	}
	if age := refNow().Sub(newest); age > 3*24*time.Hour {
		t.Errorf("newest message is %v old, want the last few days", age)
	}
}

// checkThreads checks ids and threading: unique ids per channel, parents
// that exist and come first, conversations named by a root post.
func checkThreads(t *testing.T, ms []model.Message) {
	t.Helper()
	type key struct{ channel, id string }
	index := map[key]int{}
	for i, m := range ms {
		k := key{m.Channel, m.ExternalID}
		if j, dup := index[k]; dup {
			t.Errorf("%s %s: external id used by messages %d and %d", m.Channel, m.ExternalID, j, i)
		}
		index[k] = i
	}
	for i, m := range ms {
		where := m.Channel + " " + m.ExternalID
		root, ok := index[key{m.Channel, m.ConversationExternalID}]
		if !ok {
			t.Errorf("%s: conversation %q not found in channel", where, m.ConversationExternalID)
			continue
		}
		r := ms[root]
		if r.Kind != model.KindPost || r.ParentExternalID != "" || r.ConversationExternalID != r.ExternalID {
			t.Errorf("%s: conversation %q is not a root post (kind %q, parent %q)", where, r.ExternalID, r.Kind, r.ParentExternalID)
		}
		if m.ParentExternalID == "" {
			if m.Kind != model.KindPost || m.ConversationExternalID != m.ExternalID {
				t.Errorf("%s: a message without parent must be a post opening its own conversation", where)
			}
			continue
		}
		if m.Kind == model.KindPost {
			t.Errorf("%s: a post with a parent", where)
		}
		p, ok := index[key{m.Channel, m.ParentExternalID}]
		if !ok {
			t.Errorf("%s: parent %q not found in channel", where, m.ParentExternalID)
			continue
		}
		parent := ms[p]
		if p >= i {
			t.Errorf("%s: parent %s comes at %d, after its child at %d", where, parent.ExternalID, p, i)
		}
		if !parent.CreatedAt.Before(m.CreatedAt) {
			t.Errorf("%s: dated %v, not after its parent (%v)", where, m.CreatedAt, parent.CreatedAt)
		}
		if parent.ConversationExternalID != m.ConversationExternalID {
			t.Errorf("%s: in conversation %q, its parent in %q", where, m.ConversationExternalID, parent.ConversationExternalID)
		}
		switch {
		case m.Kind == model.KindMessage:
		case m.Kind == model.KindComment && p != root:
			t.Errorf("%s: a comment must answer the post itself", where)
		case m.Kind == model.KindReply && p == root:
			t.Errorf("%s: a reply must answer a comment, not the post", where)
		}
	}
}

// checkWork checks that the demo inbox has something to show: staff
// answers, spam, and conversations still waiting.
func checkWork(t *testing.T, ms []model.Message, e expect) {
	t.Helper()
	// Words no genuine member of these communities writes.
	spamMarkers := []string{"http://", "whatsapp", "bitcoin", "trading", "followers", "ambassador", "backlinks", "guest post", "code reçu par sms", "bank details", "@starboost", "passifs"}
	staff, spam := 0, 0
	answered := map[string]bool{}
	convs := map[string]bool{}
	for _, m := range ms {
		conv := m.Channel + " " + m.ConversationExternalID
		convs[conv] = true
		if m.AuthorIsStaff && m.ParentExternalID != "" {
			staff++
			answered[conv] = true
		}
		body := strings.ToLower(m.Body)
		for _, s := range spamMarkers {
			if strings.Contains(body, s) {
				spam++
				if m.AuthorIsStaff {
					t.Errorf("%s %s: staff message looks like spam: %q", m.Channel, m.ExternalID, m.Body)
				}
				break
			}
		}
	}
	if staff < e.minStaff {
		t.Errorf("%d staff answers, want at least %d", staff, e.minStaff)
	}
	if spam < e.minSpam {
		t.Errorf("%d spam messages, want at least %d", spam, e.minSpam)
	}
	if waiting := len(convs) - len(answered); waiting < 3 || len(answered) < 3 {
		t.Errorf("%d conversations answered by staff and %d waiting, want at least 3 of each", len(answered), waiting)
	}
}

// checkLanguages checks the mix of French and English with simple markers.
func checkLanguages(t *testing.T, ms []model.Message, e expect) {
	t.Helper()
	fr, en := 0, 0
	for _, m := range ms {
		switch looksLike(m.Body) {
		case "fr":
			fr++
		case "en":
			en++
		}
	}
	n := float64(len(ms))
	if float64(fr)/n < e.minFrench {
		t.Errorf("%d of %d messages read as French, want at least %.0f%%", fr, len(ms), 100*e.minFrench)
	}
	if float64(en)/n < e.minEnglish {
		t.Errorf("%d of %d messages read as English, want at least %.0f%%", en, len(ms), 100*e.minEnglish)
	}
}

// looksLike guesses "fr", "en" or "" from accents and common words.
func looksLike(text string) string {
	frWords := map[string]bool{"je": true, "vous": true, "est": true, "merci": true, "pas": true, "le": true, "la": true, "les": true, "et": true, "pour": true, "une": true, "des": true, "c'est": true, "ça": true, "mon": true, "ma": true, "nous": true}
	enWords := map[string]bool{"the": true, "you": true, "is": true, "my": true, "and": true, "thanks": true, "it": true, "for": true, "with": true, "this": true, "to": true, "we": true, "your": true, "i": true}
	fr, en := 0, 0
	if strings.ContainsAny(text, "éèêàçùâô") {
		fr += 2
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		if frWords[w] {
			fr++
		}
		if enWords[w] {
			en++
		}
	}
	switch {
	case fr > en:
		return "fr"
	case en > fr:
		return "en"
	}
	return ""
}

// checkMembers checks that member resolution has work to do: regulars
// across conversations, names signed in varying case, authors known only by
// a handle or only by a name.
func checkMembers(t *testing.T, ms []model.Message, e expect) {
	t.Helper()
	threads := map[string]map[string]bool{}
	names := map[string]map[string]bool{}
	handleOnly, nameOnly := 0, 0
	for _, m := range ms {
		if m.AuthorIsStaff {
			continue
		}
		id := identity(m)
		if threads[id] == nil {
			threads[id], names[id] = map[string]bool{}, map[string]bool{}
		}
		threads[id][m.Channel+" "+m.ConversationExternalID] = true
		if m.AuthorEmail != "" && m.AuthorName != "" {
			names[id][m.AuthorName] = true
		}
		switch {
		case m.AuthorHandle != "" && m.AuthorName == "" && m.AuthorEmail == "":
			handleOnly++
		case m.AuthorName != "" && m.AuthorHandle == "" && m.AuthorEmail == "":
			nameOnly++
		}
	}
	recurring := 0
	for _, ts := range threads {
		if len(ts) >= 3 {
			recurring++
		}
	}
	if recurring < e.minRecurrer {
		t.Errorf("%d members in 3 conversations or more, want at least %d", recurring, e.minRecurrer)
	}
	if !hasCaseVariants(names) {
		t.Errorf("no member signs the same name in different case")
	}
	if handleOnly == 0 && e.slug != "banque-des-alpes" {
		t.Errorf("no author known only by a handle")
	}
	if nameOnly == 0 {
		t.Errorf("no author known only by a name")
	}
}

// identity is the strongest identity a message shows, as member resolution
// would see it.
func identity(m model.Message) string {
	switch {
	case m.AuthorEmail != "":
		return "email:" + strings.ToLower(m.AuthorEmail)
	case m.AuthorHandle != "":
		return "handle:" + m.Channel + ":" + strings.ToLower(m.AuthorHandle)
	}
	return "name:" + m.Channel + ":" + strings.ToLower(m.AuthorName)
}

// hasCaseVariants reports whether one identity signed two names equal but
// for case.
func hasCaseVariants(names map[string]map[string]bool) bool {
	for _, set := range names {
		var seen []string
		for n := range set {
			for _, o := range seen {
				if n != o && strings.EqualFold(n, o) {
					return true
				}
			}
			seen = append(seen, n)
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
