package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"palabre/internal/connector/ndjson"
	"palabre/internal/model"
)

// The shape of the generated community: a few channels, threads of 5 to 20
// messages written in parallel, mostly one-off commenters, some regulars
// and a few staff members.
const (
	minThread   = 5
	maxThread   = 20
	openThreads = 8 // threads being written at the same time

	// repeatShare is the share of messages other than blog posts written
	// by staff or regulars. Blog posts, written by staff, are about 3% of
	// all messages, which brings the repeat authors' share near 10%.
	repeatShare = 0.07
	staffShare  = 0.2 // among those repeat messages, the share of staff

	messagesPerRegular = 1000 // one regular author per this many messages
	minRegulars        = 20

	minBodyBytes = 200
	maxBodyBytes = 400 // bodies average about 300 bytes
)

// Staff authors, "name|e-mail" per line.
const staffAuthors = `Claire Fontaine (équipe)|claire.fontaine@marque.example.com
Marc Olivier (équipe)|marc.olivier@marque.example.com
Sophie Bernard (équipe)|sophie.bernard@marque.example.com
Thomas Lefèvre (équipe)|thomas.lefevre@marque.example.com`

// Stats describes what Generate wrote.
type Stats struct {
	Messages      int `json:"messages"`
	Conversations int `json:"conversations"`
	// Authors counts distinct authors (distinct e-mail addresses): the
	// members an import of the file creates.
	Authors int `json:"authors"`
	// RepeatMessages counts messages written by staff or regulars, the
	// authors who may write more than once; every other message has an
	// author of its own.
	RepeatMessages int `json:"repeat_messages"`
}

// Generate writes n synthetic messages to w as palabre NDJSON, in the order
// a busy community produces them: conversations of 5 to 20 messages (a
// root post, then comments and replies naming their parent and their
// conversation) interleaved, timestamps increasing, spread over a few
// channels; bodies of about 300 bytes of French- or English-looking text;
// about 10% of the messages by repeat authors (regulars and a few staff
// members), each other message by a new author with a name and an e-mail
// address of their own. When n is below 5 the only conversation is shorter.
//
// The output depends only on n and seed.
func Generate(w io.Writer, n int, seed uint64) (Stats, error) {
	if n < 1 {
		return Stats{}, fmt.Errorf("bench: generate %d messages: need at least one", n)
	}
	g := newGenerator(n, seed)
	out := ndjson.NewWriter(w)
	var active []*thread
	allocated := 0 // messages promised to started threads
	for range n {
		for len(active) < openThreads && allocated < n {
			t := g.startThread(n - allocated)
			allocated += t.size
			active = append(active, t)
		}
		// The sizes of the active threads add up to the messages still to
		// write, so there is always one to continue.
		i := g.rng.IntN(len(active))
		t := active[i]
		m := g.message(t)
		if err := out.Write(&m); err != nil {
			return g.stats, err
		}
		if len(t.ids) == t.size {
			active = append(active[:i], active[i+1:]...)
		}
	}
	g.stats.Authors = g.newAuthors + countTrue(g.usedRegular) + countTrue(g.usedStaff)
	return g.stats, out.Flush()
}

// channelSpec describes one generated channel and how its ids look.
type channelSpec struct {
	name       string
	weight     int     // relative share of threads
	french     float64 // share of threads in French
	titled     bool    // roots have a title
	handles    bool    // authors have a handle on this network
	staffRoots bool    // roots are written by the brand
	rootID     func(post int) string
	childID    func(post, comment, seq int) string
}

func channels() []channelSpec {
	return []channelSpec{
		{
			// WordPress ids, in the canonical form ingest gives them.
			name: "blog", weight: 40, french: 0.65, titled: true, staffRoots: true,
			rootID:  func(p int) string { return "https://blog.example.fr/?p=" + strconv.Itoa(p) },
			childID: func(p, c, _ int) string { return fmt.Sprintf("https://blog.example.fr/?p=%d#comment-%d", p, c) },
		},
		{
			name: "forum", weight: 30, french: 0.6, titled: true, handles: true,
			rootID:  func(p int) string { return "forum-t" + strconv.Itoa(p) },
			childID: func(_, c, _ int) string { return "forum-p" + strconv.Itoa(c) },
		},
		{
			name: "facebook", weight: 20, french: 0.5, handles: true,
			rootID:  func(p int) string { return "fb-1043_" + strconv.Itoa(p) },
			childID: func(p, c, _ int) string { return fmt.Sprintf("fb-1043_%d_%d", p, c) },
		},
		{
			name: "support", weight: 10, french: 0.7, titled: true,
			rootID:  func(p int) string { return "ticket-" + strconv.Itoa(p) },
			childID: func(p, _, s int) string { return fmt.Sprintf("ticket-%d-%d", p, s) },
		},
	}
}

// author is who signs a message.
type author struct {
	name, email, handle, url string
	staff                    bool
}

// thread is a conversation being written.
type thread struct {
	channel int
	post    int
	root    string
	french  bool
	size    int
	ids     []string // external ids written so far, root first
}

// generator holds the state of one Generate call.
type generator struct {
	rng       *rand.Rand
	channels  []channelSpec
	weights   int // sum of the channels' weights
	fr, en    []string
	frOpeners []string
	enOpeners []string
	names     namer
	fold      *strings.Replacer
	domains   []string
	staff     []author
	clock     time.Time

	regulars    int
	posts       int   // posts started
	comments    int   // comments written
	newPerChan  []int // new authors per channel, for their names
	newAuthors  int
	usedRegular []bool
	usedStaff   []bool
	stats       Stats
}

func newGenerator(n int, seed uint64) *generator {
	g := &generator{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		channels:  channels(),
		fr:        strings.Fields(frenchWords),
		en:        strings.Fields(englishWords),
		frOpeners: strings.Split(frenchOpeners, "\n"),
		enOpeners: strings.Split(englishOpeners, "\n"),
		fold: strings.NewReplacer(" ", "-", "'", "", "_", "-",
			"à", "a", "â", "a", "ä", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
			"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c"),
		domains: strings.Fields(mailDomains),
		clock:   time.Date(2021, 1, 4, 8, 0, 0, 0, time.UTC), // the first message, give or take a minute
	}
	g.names = newNamer(strings.Fields(givenNames), strings.Fields(familyNames), strings.Fields(towns), seed)
	// Regulars take the first names; keep most names for one-off authors.
	g.regulars = min(max(minRegulars, n/messagesPerRegular), g.names.size/2)
	for _, c := range g.channels {
		g.weights += c.weight
	}
	for _, line := range strings.Split(staffAuthors, "\n") {
		name, email, _ := strings.Cut(line, "|")
		local, _, _ := strings.Cut(email, "@")
		g.staff = append(g.staff, author{name: name, email: email, handle: "marque_" + local, staff: true})
	}
	g.newPerChan = make([]int, len(g.channels))
	g.usedRegular = make([]bool, g.regulars)
	g.usedStaff = make([]bool, len(g.staff))
	return g
}

// startThread begins a conversation that fits in the left messages.
func (g *generator) startThread(left int) *thread {
	size := left // the last one; shorter than 5 only when n is
	if left > maxThread {
		size = minThread + g.rng.IntN(maxThread-minThread+1)
		if left-size < minThread {
			size = left - minThread
		}
	}
	ch := 0
	for r := g.rng.IntN(g.weights); r >= g.channels[ch].weight; ch++ {
		r -= g.channels[ch].weight
	}
	g.posts++
	g.stats.Conversations++
	return &thread{
		channel: ch,
		post:    g.posts,
		root:    g.channels[ch].rootID(g.posts),
		french:  g.rng.Float64() < g.channels[ch].french,
		size:    size,
		ids:     make([]string, 0, size),
	}
}

// message writes the thread's next message.
func (g *generator) message(t *thread) model.Message {
	ch := &g.channels[t.channel]
	seq := len(t.ids)
	g.clock = g.clock.Add(time.Duration(1+g.rng.IntN(59))*time.Second + time.Duration(g.rng.IntN(1000))*time.Millisecond)
	m := model.Message{Channel: ch.name, ConversationExternalID: t.root, CreatedAt: g.clock}
	french := t.french
	var a author
	if seq == 0 {
		m.ExternalID = t.root
		m.Kind = model.KindPost
		if ch.titled {
			m.Title = g.title(french)
		}
		if ch.staffRoots {
			a = g.staffAuthor()
		} else {
			a = g.author(t.channel)
		}
	} else {
		g.comments++
		m.ExternalID = ch.childID(t.post, g.comments, seq)
		m.ParentExternalID = t.root
		m.Kind = model.KindComment
		if seq > 1 && g.rng.IntN(5) < 2 {
			m.ParentExternalID = t.ids[1+g.rng.IntN(seq-1)]
			m.Kind = model.KindReply
		}
		if g.rng.IntN(10) == 0 {
			french = !french
		}
		a = g.author(t.channel)
	}
	m.Body = g.body(french)
	m.AuthorName, m.AuthorEmail, m.AuthorIsStaff = a.name, a.email, a.staff
	if ch.handles {
		m.AuthorHandle = a.handle
	}
	if !ch.handles {
		m.AuthorURL = a.url
	}
	t.ids = append(t.ids, m.ExternalID)
	g.stats.Messages++
	return m
}

// author picks who writes a message that is not a blog post.
func (g *generator) author(channel int) author {
	if g.rng.Float64() >= repeatShare {
		return g.newAuthor(channel)
	}
	if g.rng.Float64() < staffShare {
		return g.staffAuthor()
	}
	i := g.rng.IntN(g.regulars)
	g.usedRegular[i] = true
	g.stats.RepeatMessages++
	// Regulars take the first indexes of every channel's names, so no new
	// author signs like one of them.
	return g.person(i, i)
}

func (g *generator) staffAuthor() author {
	i := g.rng.IntN(len(g.staff))
	g.usedStaff[i] = true
	g.stats.RepeatMessages++
	return g.staff[i]
}

func (g *generator) newAuthor(channel int) author {
	// Names are distinct per channel, and each channel starts at another
	// point of the names left after the regulars', so that channels do
	// not repeat each other's sequence of names.
	k := g.newPerChan[channel]
	g.newPerChan[channel]++
	span := g.names.size - g.regulars
	shift := channel * (span / len(g.channels))
	nameIndex := k/span*g.names.size + g.regulars + (k%span+shift)%span
	global := g.regulars + g.newAuthors
	g.newAuthors++
	return g.person(nameIndex, global)
}

// person builds the author with the given name index and global index:
// the name is distinct per channel, the e-mail and handle are distinct
// everywhere.
func (g *generator) person(nameIndex, global int) author {
	given, family, full := g.names.name(nameIndex)
	given = g.fold.Replace(strings.ToLower(given))
	family = g.fold.Replace(strings.ToLower(family))
	tag := strconv.FormatInt(int64(global), 36)
	a := author{
		name:   full,
		email:  given + "." + family + "." + tag + "@" + g.domains[global%len(g.domains)],
		handle: given + "_" + family + "_" + tag,
	}
	if global%5 == 0 {
		a.url = "https://" + given + "-" + family + "-" + tag + ".example.net/"
	}
	return a
}

// body writes French- or English-looking text of 200 to 400 bytes, in
// sentences of 6 to 15 words, sometimes in two paragraphs.
func (g *generator) body(french bool) string {
	words, openers := g.en, g.enOpeners
	if french {
		words, openers = g.fr, g.frOpeners
	}
	target := minBodyBytes + g.rng.IntN(maxBodyBytes-minBodyBytes+1)
	var b strings.Builder
	b.Grow(target + 32)
	if g.rng.IntN(3) == 0 {
		b.WriteString(openers[g.rng.IntN(len(openers))])
	}
	left := 0 // words left in the current sentence
	for b.Len() < target {
		w := words[g.rng.IntN(len(words))]
		switch {
		case left == 0:
			if b.Len() > 0 {
				if g.rng.IntN(8) == 0 {
					b.WriteString("\n\n")
				} else {
					b.WriteByte(' ')
				}
			}
			w = capitalize(w)
			left = 6 + g.rng.IntN(10)
		case g.rng.IntN(12) == 0:
			b.WriteString(", ")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(w)
		left--
		if left == 0 {
			b.WriteByte(g.endMark())
		}
	}
	if left > 0 {
		b.WriteByte(g.endMark())
	}
	return b.String()
}

func (g *generator) endMark() byte {
	switch g.rng.IntN(10) {
	case 0:
		return '!'
	case 1, 2:
		return '?'
	}
	return '.'
}

// title writes a conversation title of 3 to 8 words.
func (g *generator) title(french bool) string {
	words := g.en
	if french {
		words = g.fr
	}
	parts := make([]string, 3+g.rng.IntN(6))
	for i := range parts {
		parts[i] = words[g.rng.IntN(len(words))]
	}
	parts[0] = capitalize(parts[0])
	s := strings.Join(parts, " ")
	if g.rng.IntN(3) == 0 {
		if french {
			s += " ?" // French typography
		} else {
			s += "?"
		}
	}
	return s
}

func capitalize(w string) string {
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// namer gives every index a distinct signature, "Given Family" or "Given
// Family, Town", then with a number once those run out. A name signed on a
// channel is one of a member's identities, so one-off authors who signed
// alike would share one: with distinct signatures every author has
// identities of their own, and the rows an import stores follow from the
// generator's counts.
type namer struct {
	given, family, towns []string
	size                 int // signatures before a number is appended
	mult                 int // coprime with size: scatters consecutive indexes
	offset               int
}

func newNamer(given, family, towns []string, seed uint64) namer {
	for i := range family {
		family[i] = strings.ReplaceAll(family[i], "_", " ") // "Le_Gall" is one name
	}
	size := len(given) * len(family) * (len(towns) + 1)
	mult := 1_000_003 // a prime: coprime with any smaller size
	for i := 0; i < 1000 && gcd(mult, size) != 1; i++ {
		mult += 2
	}
	return namer{given: given, family: family, towns: towns, size: size, mult: mult, offset: int(seed % uint64(size))}
}

// name returns the given name, the family name and the signature of index i.
func (nm namer) name(i int) (given, family, full string) {
	block, r := i/nm.size, i%nm.size
	p := (r*nm.mult + nm.offset) % nm.size // a permutation of 0..size-1
	given = nm.given[p%len(nm.given)]
	p /= len(nm.given)
	family = nm.family[p%len(nm.family)]
	p /= len(nm.family)
	full = given + " " + family
	if p > 0 {
		full += ", " + nm.towns[p-1]
	}
	if block > 0 {
		full += " " + strconv.Itoa(block+1)
	}
	return given, family, full
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
