package demo

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"palabre/internal/model"
)

// span is how far back the oldest conversation starts, give or take a few
// hours; everything that follows it happens before now.
const span = 58 * 24 * time.Hour

// spamEvery: one comment in spamEvery drawn from the general talk is spam.
const spamEvery = 7

// draft is a message being written. Ages count seconds before now, so that
// another now shifts every date and changes nothing else; ids are given at
// the end, in date order, as a real source would number its messages.
type draft struct {
	msg    model.Message
	age    int64
	parent int // index of the answered draft; -1 for a root
	root   int
}

// writer writes one brand's messages from its data and a random stream
// seeded by constants: nothing depends on the clock or on global state.
type writer struct {
	b        brandData
	now      time.Time
	r        *rand.Rand
	kinds    map[string]string // channel name → kind
	people   map[string]person
	spammers []person
	friends  []string
	talk     *pool
	peers    *pool
	follows  *pool
	nudges   *pool
	thanks   *pool
	spamTurn int
	generic  int            // comments drawn from the general talk so far
	signed   map[string]int // messages signed so far, by person key
	drafts   []draft
}

func newWriter(b brandData, now time.Time) *writer {
	r := rand.New(rand.NewPCG(b.seed, 0x70616c6162726521))
	w := &writer{
		b:        b,
		now:      now,
		r:        r,
		kinds:    make(map[string]string),
		people:   make(map[string]person),
		signed:   make(map[string]int),
		spammers: spammers(),
		friends:  friends(),
	}
	for _, c := range b.brand.Channels {
		w.kinds[c.Name] = c.Kind
	}
	for _, p := range append(slices.Clone(b.people), w.spammers...) {
		w.people[p.key] = p
	}
	w.talk = newPool(append(slices.Clone(b.lines), commonLines()...), r)
	w.peers = newPool(peerLines(), r)
	w.follows = newPool(followLines(), r)
	w.nudges = newPool(nudgeLines(), r)
	w.thanks = newPool(thanksLines(), r)
	return w
}

// write generates every conversation, oldest first, and returns the
// messages in date order.
func (w *writer) write() []model.Message {
	type opening struct {
		post *post
		mail *line
	}
	var openings []opening
	posts, mails := w.b.posts, w.b.mails
	for i := range posts {
		openings = append(openings, opening{post: &posts[i]})
	}
	for i := range mails {
		openings = append(openings, opening{mail: &mails[i]})
	}
	w.r.Shuffle(len(openings), func(i, j int) { openings[i], openings[j] = openings[j], openings[i] })

	n := int64(len(openings))
	slot := int64(span/time.Second) / n
	for i, o := range openings {
		age := (n-int64(i))*slot + 6*3600 - w.r.Int64N(slot/2)
		if o.mail != nil {
			w.mailThread(*o.mail, age)
		} else {
			w.postThread(*o.post, age)
		}
	}
	return w.finish()
}

// postThread writes a post and the comments under it.
func (w *writer) postThread(p post, age int64) {
	kind := w.kinds[p.channel]
	root := w.add(draft{age: age, parent: -1, msg: model.Message{
		Channel: p.channel, Kind: model.KindPost, Title: p.title, Body: p.body,
	}})
	w.drafts[root].root = root
	byMember := p.author != ""
	if byMember {
		author := w.people[p.author]
		w.signMember(&w.drafts[root].msg, author, kind)
		topic := line{lang: p.lang, intent: p.intent, answer: p.answer}
		w.respond(root, topic, w.fill(p.product), author, true)
	} else {
		w.signStaff(&w.drafts[root].msg, w.b.staff[w.r.IntN(len(w.b.staff))], kind, p.lang)
	}

	slots := slices.Clone(p.talk)
	more := p.more
	if more > 0 {
		more += w.r.IntN(3) - 1
	}
	for range more {
		slots = append(slots, line{}) // filled from the brand's general talk
	}
	w.r.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })

	seen := map[string]bool{p.author: true}
	t := age
	for _, s := range slots {
		var ok bool
		if t, ok = w.later(t, stepComment, kind); !ok {
			return
		}
		w.comment(root, p, s, t, seen, !byMember)
	}
}

// comment writes one comment under a post: s if it has text, otherwise a
// line picked for an author picked here. toBrand is false under a member's
// topic, where comments speak to the topic's author.
func (w *writer) comment(root int, p post, s line, age int64, seen map[string]bool, toBrand bool) {
	kind := w.kinds[p.channel]
	var author person
	generic := s.text == ""
	in := question
	if generic {
		// Spam comes at a steady rate rather than by chance, so every
		// brand's inbox has some to filter whatever the draws.
		w.generic++
		in = w.pickIntent(kind, p.contest)
		if w.generic%spamEvery == spamEvery/2 {
			in = spam
		}
	}
	switch {
	case !generic:
		author = w.author(s.who, kind, s.lang, seen)
	case in == spam:
		s, _ = w.talk.pick("", spam, kind)
		author = w.spammer(s.who, kind)
	default:
		author = w.author("", kind, "", seen)
		s = w.pickTalk(author.lang, in, kind)
	}
	seen[author.key] = true

	rep := w.fill(p.product)
	body := rep.Replace(s.text)
	if generic {
		body = w.dress(body, s)
	}
	i := w.reply(root, author, body, age)
	w.respond(i, s, rep, author, toBrand)
}

// mailThread writes an e-mail to support and what follows it.
func (w *writer) mailThread(l line, age int64) {
	author := w.author(l.who, kindEmail, l.lang, nil)
	rep := w.fill("")
	body := rep.Replace(l.text)
	if l.intent == spam {
		body += "\n\n" + author.name
	} else {
		body = w.mailBody(body, l.lang, author)
	}
	root := w.add(draft{age: age, parent: -1, msg: model.Message{
		Channel: w.channelOf(kindEmail), Kind: model.KindPost, Title: rep.Replace(l.subject), Body: body,
	}})
	w.drafts[root].root = root
	w.signMember(&w.drafts[root].msg, author, kindEmail)
	w.respond(root, l, rep, author, true)
}

// respond writes what may follow a member's message i: the brand's answer
// and the author's thanks, a nudge when nobody answered, another member
// chiming in. Only a message that speaks to the brand (toBrand) gets a
// generic thank-you or a nudge.
func (w *writer) respond(i int, l line, rep *strings.Replacer, author person, toBrand bool) {
	d := w.drafts[i]
	kind := w.kinds[d.msg.Channel]
	if l.intent == reaction {
		return
	}
	if l.intent == spam {
		if kind != kindEmail && w.r.IntN(100) < 12 {
			w.peer(i, l, rep, author)
		}
		return
	}

	answer := rep.Replace(l.answer)
	if answer == "" && toBrand && (l.intent == praise && w.r.IntN(100) < 40 || l.intent == feedback && w.r.IntN(100) < 55) {
		if t, ok := w.thanks.pick(l.lang, l.intent, kind); ok {
			answer = t.text
		}
	}
	answered := false
	if answer != "" && w.r.IntN(100) < answerChance(d.age) {
		if at, ok := w.later(d.age, stepStaff, kind); ok {
			answered = true
			a := w.staffReply(i, answer, l.lang, author, at)
			follow := ""
			switch {
			case l.follow != "":
				if w.r.IntN(100) < 70 {
					follow = rep.Replace(l.follow)
				}
			case l.intent.needsAnswer() && w.r.IntN(100) < 30:
				if f, ok := w.follows.pick(l.lang, praise, kind); ok {
					follow = f.text
				}
			}
			if follow != "" {
				if ft, ok := w.later(at, stepFollow, kind); ok {
					w.reply(a, author, w.memberText(follow, l.lang, author, kind, false), ft)
				}
			}
		}
	}
	if !answered && toBrand && l.intent.needsAnswer() && d.age > 2*86400 && w.r.IntN(100) < 35 {
		if n, ok := w.nudges.pick(l.lang, complaint, kind); ok {
			if nt, ok := w.later(d.age, stepNudge, kind); ok {
				w.reply(i, author, w.memberText(rep.Replace(n.text), l.lang, author, kind, true), nt)
			}
		}
	}
	if kind != kindEmail && w.r.IntN(100) < 18 {
		w.peer(i, l, rep, author)
	}
}

// peer writes another member's reaction to message i.
func (w *writer) peer(i int, l line, rep *strings.Replacer, author person) {
	kind := w.kinds[w.drafts[i].msg.Channel]
	other := w.author("", kind, l.lang, map[string]bool{author.key: true})
	if other.key == author.key {
		return
	}
	pl, ok := w.peers.pick(other.lang, l.intent, kind)
	if !ok {
		return
	}
	if t, ok := w.later(w.drafts[i].age, stepPeer, kind); ok {
		w.reply(i, other, rep.Replace(pl.text), t)
	}
}

// reply adds a member's message under parent and returns its index.
func (w *writer) reply(parent int, author person, body string, age int64) int {
	p := w.drafts[parent]
	kind := w.kinds[p.msg.Channel]
	i := w.add(draft{age: age, parent: parent, root: p.root, msg: model.Message{
		Channel: p.msg.Channel, Kind: childKind(kind, parent == p.root), Body: body,
	}})
	w.drafts[i].msg.Title = w.replyTitle(kind, p.root)
	w.signMember(&w.drafts[i].msg, author, kind)
	return i
}

// staffReply adds a community manager's answer to member message parent.
func (w *writer) staffReply(parent int, text, lang string, to person, age int64) int {
	p := w.drafts[parent]
	kind := w.kinds[p.msg.Channel]
	s := w.b.staff[w.r.IntN(len(w.b.staff))]
	i := w.add(draft{age: age, parent: parent, root: p.root, msg: model.Message{
		Channel: p.msg.Channel, Kind: childKind(kind, parent == p.root), Body: w.staffText(text, lang, to, s, kind),
	}})
	w.drafts[i].msg.Title = w.replyTitle(kind, p.root)
	w.signStaff(&w.drafts[i].msg, s, kind, lang)
	return i
}

// channelOf returns the name of the brand's channel of that kind.
func (w *writer) channelOf(kind string) string {
	for _, c := range w.b.brand.Channels {
		if c.Kind == kind {
			return c.Name
		}
	}
	return ""
}

func (w *writer) add(d draft) int {
	w.drafts = append(w.drafts, d)
	return len(w.drafts) - 1
}

// replyTitle is "Re: subject" in e-mail threads, empty elsewhere.
func (w *writer) replyTitle(kind string, root int) string {
	if kind != kindEmail {
		return ""
	}
	return "Re: " + w.drafts[root].msg.Title
}

// childKind is the model kind of an answer: e-mails stay private messages,
// elsewhere a comment answers the post and a reply answers a comment.
func childKind(kind string, toRoot bool) string {
	switch {
	case kind == kindEmail:
		return model.KindMessage
	case toRoot:
		return model.KindComment
	}
	return model.KindReply
}

// finish orders the drafts by date, numbers them per channel in that order
// and turns them into messages.
func (w *writer) finish() []model.Message {
	order := make([]int, len(w.drafts))
	for i := range order {
		order[i] = i
	}
	// Older first; a parent is always strictly older than its children.
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(w.drafts[b].age, w.drafts[a].age) })

	nums := make([]int, len(w.drafts))
	count := make(map[string]int)
	for _, i := range order {
		ch := w.drafts[i].msg.Channel
		count[ch]++
		nums[i] = count[ch]
	}
	id := func(i int) string {
		return fmt.Sprintf("demo:%s:%s:%d", w.b.brand.Workspace.Slug, w.drafts[i].msg.Channel, nums[i])
	}

	out := make([]model.Message, 0, len(w.drafts))
	for _, i := range order {
		d := w.drafts[i]
		m := d.msg
		m.ExternalID = id(i)
		m.ConversationExternalID = id(d.root)
		if d.parent >= 0 {
			m.ParentExternalID = id(d.parent)
		}
		m.CreatedAt = w.now.Add(-time.Duration(d.age) * time.Second)
		m.URL = w.url(w.kinds[m.Channel], nums[d.root], nums[i], i == d.root)
		out = append(out, m)
	}
	return out
}

// url is a message's public address on the brand's blog or forum, in the
// shape WordPress and forum software give them; other channels have none.
func (w *writer) url(kind string, root, n int, isRoot bool) string {
	var page, anchor string
	switch kind {
	case kindWordPress:
		page, anchor = fmt.Sprintf("%s/blog/?p=%d", w.b.site, root), "#comment-"
	case kindForum:
		page, anchor = fmt.Sprintf("%s/t/%d", w.b.forum, root), "#post-"
	default:
		return ""
	}
	if isRoot {
		return page
	}
	return page + anchor + strconv.Itoa(n)
}

// ---------------------------------------------------------------------------
// Who writes

// author returns the person with that key, or else picks a member who can
// write on kind, preferring lang (when not empty), people not in avoid, and
// regulars.
func (w *writer) author(key, kind, lang string, avoid map[string]bool) person {
	if key != "" {
		return w.people[key]
	}
	filters := []func(person) bool{
		func(p person) bool { return (lang == "" || p.lang == lang) && !avoid[p.key] },
		func(p person) bool { return lang == "" || p.lang == lang },
		func(person) bool { return true },
	}
	for _, ok := range filters {
		var cands []person
		total := 0
		for _, p := range w.b.people {
			if !p.spammer && p.canWriteOn(kind) && ok(p) {
				cands = append(cands, p)
				total += weight(p)
			}
		}
		if total == 0 {
			continue
		}
		n := w.r.IntN(total)
		for _, p := range cands {
			if n -= weight(p); n < 0 {
				return p
			}
		}
	}
	return w.b.people[0]
}

// weight makes regulars write six times as often as other members.
func weight(p person) int {
	if p.regular {
		return 6
	}
	return 1
}

// spammer returns the spammer with that key if they can write on kind, or
// else the next spam account that can.
func (w *writer) spammer(key, kind string) person {
	if p, ok := w.people[key]; ok && p.canWriteOn(kind) {
		return p
	}
	for range w.spammers {
		p := w.spammers[w.spamTurn%len(w.spammers)]
		w.spamTurn++
		if p.canWriteOn(kind) {
			return p
		}
	}
	return w.spammers[0]
}

// signMember fills the author fields a channel kind shows for a member.
func (w *writer) signMember(m *model.Message, p person, kind string) {
	switch kind {
	case kindWordPress:
		m.AuthorName, m.AuthorEmail, m.AuthorURL = w.signature(p), p.email, p.url
	case kindFacebook:
		m.AuthorName = w.signature(p)
	case kindInstagram:
		m.AuthorHandle = p.handle
	case kindForum:
		m.AuthorHandle, m.AuthorEmail = p.handle, p.email
	case kindEmail:
		m.AuthorName, m.AuthorEmail = w.signature(p), p.email
	}
}

// signStaff fills the author fields of a message written for the brand.
func (w *writer) signStaff(m *model.Message, s staffer, kind, lang string) {
	m.AuthorIsStaff = true
	switch kind {
	case kindWordPress:
		m.AuthorName, m.AuthorEmail = s.name, s.email
	case kindFacebook:
		m.AuthorName = w.b.account
	case kindInstagram:
		m.AuthorHandle = w.b.account
	case kindForum:
		m.AuthorHandle, m.AuthorEmail = s.handle, s.email
	case kindEmail:
		m.AuthorName, m.AuthorEmail = s.first+" – "+w.b.teamName(lang), w.b.support
	}
}

// signature is the name a member signs one message with: sloppy members
// sometimes type it in lower case, in capitals or give only a first name,
// in a fixed rotation so that every one of them does it early on.
func (w *writer) signature(p person) string {
	if !p.sloppy {
		return p.name
	}
	n := w.signed[p.key]
	w.signed[p.key]++
	switch n % 6 {
	case 2:
		return strings.ToLower(p.name)
	case 4:
		return strings.ToUpper(p.name)
	case 5:
		return firstName(p.name)
	}
	return p.name
}

func firstName(name string) string {
	first, _, _ := strings.Cut(name, " ")
	return first
}

// ---------------------------------------------------------------------------
// What they write

// pickIntent draws what a genuine member comes to say on a channel kind.
func (w *writer) pickIntent(kind string, contest bool) intent {
	//              question complaint praise request feedback reaction
	mix := [...]int{30, 15, 20, 10, 14, 3}
	switch {
	case contest:
		mix = [...]int{8, 0, 12, 0, 0, 80}
	case kind == kindInstagram:
		mix = [...]int{26, 10, 26, 4, 6, 24}
	case kind == kindFacebook:
		mix = [...]int{28, 24, 14, 10, 12, 10}
	case kind == kindForum:
		mix = [...]int{30, 15, 15, 5, 30, 5}
	}
	total := 0
	for _, v := range mix {
		total += v
	}
	n := w.r.IntN(total)
	for i, v := range mix {
		if n -= v; n < 0 {
			return intent(i)
		}
	}
	return question
}

// pickTalk returns a line of the brand's general talk in lang, falling back
// to praise then questions when the brand has nothing for that intent.
func (w *writer) pickTalk(lang string, in intent, kind string) line {
	for _, try := range []intent{in, praise, question} {
		if l, ok := w.talk.pick(lang, try, kind); ok {
			return l
		}
	}
	l, _ := w.talk.pick("", question, kind)
	return l
}

// fill draws the values of a line's placeholders; the same values serve
// the line, its answer and its follow-up.
func (w *writer) fill(product string) *strings.Replacer {
	if product == "" {
		product = w.b.products[w.r.IntN(len(w.b.products))]
	}
	order := ""
	if w.b.orderFmt != "" {
		order = fmt.Sprintf(w.b.orderFmt, 10000+w.r.IntN(90000))
	}
	f := w.r.Perm(len(w.friends))
	city := w.b.cities[w.r.IntN(len(w.b.cities))]
	ofCity := "de " + city
	if strings.ContainsRune("AEIOUÉ", []rune(city)[0]) {
		ofCity = "d'" + city
	}
	return strings.NewReplacer(
		"de {city}", ofCity,
		"{p}", bareName(product),
		"{lp}", product,
		"{Lp}", capitalise(product),
		"{n}", strconv.Itoa(2+w.r.IntN(7)),
		"{city}", city,
		"{order}", order,
		"{friend}", w.friends[f[0]],
		"{friend2}", w.friends[f[1]],
	)
}

// bareName strips the French article from a product: "l'Urbain E-8" →
// "Urbain E-8".
func bareName(product string) string {
	for _, a := range []string{"le ", "la ", "les ", "l'"} {
		if rest, ok := strings.CutPrefix(product, a); ok {
			return rest
		}
	}
	return product
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// dress varies a line of general talk, so that the same line said twice
// does not read copy-pasted: a greeting before questions and requests,
// sometimes a word of thanks after.
func (w *writer) dress(text string, l line) string {
	if l.intent != question && l.intent != request && l.intent != complaint {
		return text
	}
	openers := []string{"Bonjour, ", "Bjr "}
	if w.b.casual {
		openers = append(openers, "Coucou ! ", "Hello, ")
	}
	closers := []string{" merci d'avance", " Merci !", " 🙏", " svp"}
	if l.lang == "en" {
		openers = []string{"Hi, ", "Hello! ", "Hey, "}
		closers = []string{" thanks!", " 🙏", " Thx"}
	}
	if !startsWithGreeting(text) && w.r.IntN(100) < 35 {
		text = openers[w.r.IntN(len(openers))] + uncapitalise(text)
	}
	if l.intent != complaint && w.r.IntN(100) < 25 {
		text += closers[w.r.IntN(len(closers))]
	}
	return text
}

// uncapitalise lowers the first letter unless the first word is an acronym.
func uncapitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	next, _ := utf8.DecodeRuneInString(s[n:])
	if unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// mailBody frames an e-mail the way customers write them: greeting,
// message, closing, signature.
func (w *writer) mailBody(text, lang string, p person) string {
	greet := []string{"Bonjour,", "Bonjour,", "Madame, Monsieur,", "Bonjour Madame, Monsieur,"}
	closing := []string{"Cordialement,", "Merci d'avance,", "Bien cordialement,", "Bonne journée,", "Merci,"}
	if lang == "en" {
		greet = []string{"Hello,", "Hi,", "Dear Sir or Madam,", "Hi there,"}
		closing = []string{"Thanks,", "Best regards,", "Cheers,", "Kind regards,"}
	}
	hello := greet[w.r.IntN(len(greet))] + "\n\n"
	if startsWithGreeting(text) {
		hello = ""
	}
	return hello + text + "\n\n" + closing[w.r.IntN(len(closing))] + "\n" + w.mailName(p)
}

// mailName is how a member signs an e-mail: full name or first name.
func (w *writer) mailName(p person) string {
	if w.r.IntN(2) == 0 {
		return firstName(p.name)
	}
	return p.name
}

func startsWithGreeting(text string) bool {
	lower := strings.ToLower(text)
	for _, g := range []string{"bonjour", "hello", "hi,", "hi ", "dear"} {
		if strings.HasPrefix(lower, g) {
			return true
		}
	}
	return false
}

// memberText is a member's short follow-up or nudge; by e-mail it is
// signed, and a nudge is framed like the first e-mail.
func (w *writer) memberText(text, lang string, p person, kind string, nudge bool) string {
	switch {
	case kind != kindEmail:
		return text
	case nudge:
		return w.mailBody(text, lang, p)
	}
	return text + "\n\n" + w.mailName(p)
}

// staffText wraps an answer in the greeting and signature the brand uses
// on that channel kind.
func (w *writer) staffText(text, lang string, to person, s staffer, kind string) string {
	if kind == kindInstagram {
		sign := "– " + s.first
		if w.b.emoji != "" {
			sign = w.b.emoji + " " + s.first
		}
		return "@" + to.handle + " " + text + " " + sign
	}
	name := firstName(to.name)
	if name == "" {
		name = to.handle
	}
	greet := []string{"Bonjour %s,", "Bonjour %s !"}
	if w.b.casual {
		greet = append(greet, "Hello %s !")
		if kind == kindForum {
			greet = append(greet, "Salut %s !")
		}
	}
	closing := []string{"Belle journée,", "Bien à vous,", "À bientôt,"}
	if lang == "en" {
		greet = []string{"Hi %s,", "Hello %s,", "Hi %s!"}
		closing = []string{"Best,", "Have a good day,", "All the best,"}
	}
	hello := fmt.Sprintf(greet[w.r.IntN(len(greet))], name)
	switch kind {
	case kindFacebook:
		// All on one line, as pages answer, signed with the CM's initial
		// mark; "Bonjour Kévin, Nous…" would read wrong, hence the "!".
		hello = "Bonjour " + name + " !"
		if lang == "en" {
			hello = "Hi " + name + "!"
		}
		return hello + " " + text + " ^" + s.first
	case kindEmail:
		return hello + "\n\n" + text + "\n\n" + closing[w.r.IntN(len(closing))] + "\n" + s.first + "\n" + w.b.teamName(lang)
	}
	return hello + "\n" + text + "\n" + s.sign
}

// ---------------------------------------------------------------------------
// When

// step is what follows a message, each with its own usual delay.
type step int

const (
	stepComment step = iota // the next comment under a post
	stepStaff               // the brand's answer
	stepFollow              // the member's thanks after the answer
	stepPeer                // another member chiming in
	stepNudge               // the member asking again
)

// delay returns the shortest and longest usual delay of a step on a
// channel kind.
func delay(s step, kind string) (lo, hi time.Duration) {
	const minute, hour, day = time.Minute, time.Hour, 24 * time.Hour
	switch s {
	case stepComment:
		switch kind {
		case kindInstagram:
			return 2 * minute, 9 * hour
		case kindFacebook:
			return 3 * minute, 12 * hour
		case kindForum:
			return 5 * minute, 20 * hour
		}
		return 15 * minute, 40 * hour
	case stepStaff:
		switch kind {
		case kindInstagram, kindFacebook:
			return 10 * minute, 10 * hour
		case kindEmail:
			return hour, 28 * hour
		}
		return 40 * minute, 30 * hour
	case stepFollow:
		return 5 * minute, 10 * hour
	case stepPeer:
		return 10 * minute, 20 * hour
	}
	return 20 * hour, 3 * day
}

// answerChance is the percentage of messages of that age (in seconds) the
// brand has answered: most old ones, few of the last day's, so that the
// inbox has work waiting.
func answerChance(age int64) int {
	const day = 86400
	switch {
	case age > 10*day:
		return 75
	case age > 3*day:
		return 50
	case age > day:
		return 35
	}
	return 12
}

// later returns the age of what follows, by step, a message of that age.
// The delay shrinks when now is close, so nothing is ever dated in the
// future; ok is false when there is no room left.
func (w *writer) later(age int64, s step, kind string) (int64, bool) {
	lo, hi := delay(s, kind)
	gap := int64(lo/time.Second) + w.r.Int64N(int64((hi-lo)/time.Second)+1)
	gap = min(gap, age*55/100)
	if gap < 1 {
		return 0, false
	}
	return age - gap, true
}

// ---------------------------------------------------------------------------
// pool

// pool hands out lines so that the least used matching line comes first:
// every line is said once before any is said twice.
type pool struct {
	lines []line
	used  []int
	rank  []int // a fixed shuffled order among equally used lines
}

func newPool(lines []line, r *rand.Rand) *pool {
	return &pool{lines: lines, used: make([]int, len(lines)), rank: r.Perm(len(lines))}
}

// pick returns the least used line with that intent, in lang (any if
// empty), that makes sense on kind.
func (p *pool) pick(lang string, in intent, kind string) (line, bool) {
	best := -1
	for i, l := range p.lines {
		if l.intent != in || lang != "" && l.lang != lang || l.only != "" && l.only != kind {
			continue
		}
		if best < 0 || p.used[i] < p.used[best] || p.used[i] == p.used[best] && p.rank[i] < p.rank[best] {
			best = i
		}
	}
	if best < 0 {
		return line{}, false
	}
	p.used[best]++
	return p.lines[best], true
}
