package model

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CM statuses: whether a CM takes new conversations now.
const (
	StatusAvailable = "available"
	StatusAway      = "away"
)

// ValidCMStatus reports whether s is a known CM status.
func ValidCMStatus(s string) bool { return s == StatusAvailable || s == StatusAway }

// Limits of a profile.
const (
	MaxCapacity        = 10000 // open conversations
	MaxSpecialisations = 200
	MaxLanguages       = 20
	MaxIntervalsPerDay = 12
	MaxTopicLen        = 80 // characters, as a topic's name
	maxTimeZoneLen     = 64
)

// DefaultMaxSectors is how many unrelated sectors a CM may work in before
// their profile warns of it, unless configured otherwise.
const DefaultMaxSectors = 3

// Profile is what a CM brings to routing: the languages they answer in,
// when they work, how much they can take, whether they are there, and the
// topics they know best in each workspace.
type Profile struct {
	UserID          int64            `json:"user_id"`
	Languages       []string         `json:"languages"` // ISO 639-1, lower-case: "fr", "en"
	TimeZone        string           `json:"time_zone"` // IANA: "Europe/Paris"
	Hours           WeeklyHours      `json:"hours"`
	Capacity        int              `json:"capacity"` // max open conversations; 0 means no limit
	Status          string           `json:"status"`   // StatusAvailable or StatusAway
	Specialisations []Specialisation `json:"specialisations"`
	UpdatedAt       time.Time        `json:"updated_at"`
}

// DefaultProfile is the profile of a user who has not set one: no
// languages, UTC, no hours, no capacity limit, available.
func DefaultProfile(userID int64) Profile {
	return Profile{UserID: userID, Languages: []string{}, TimeZone: "UTC", Hours: WeeklyHours{},
		Status: StatusAvailable, Specialisations: []Specialisation{}}
}

// Specialisation is a CM's strength on one topic of one workspace.
type Specialisation struct {
	Workspace string  `json:"workspace"` // the workspace's slug
	Topic     string  `json:"topic"`
	Strength  float64 `json:"strength"` // 0 < strength ≤ 1
}

// Validate checks a profile and returns every fault found, on one line.
func (p Profile) Validate() error {
	var errs []error
	if len(p.Languages) > MaxLanguages {
		errs = append(errs, fmt.Errorf("languages: at most %d, got %d", MaxLanguages, len(p.Languages)))
	}
	for i, l := range p.Languages {
		if !ValidLanguage(l) {
			errs = append(errs, fmt.Errorf("language %q: not a lower-case ISO 639-1 code such as fr or en", l))
		} else if slices.Contains(p.Languages[:i], l) {
			errs = append(errs, fmt.Errorf("language %q: listed twice", l))
		}
	}
	if err := ValidateTimeZone(p.TimeZone); err != nil {
		errs = append(errs, err)
	}
	if err := p.Hours.Validate(); err != nil {
		errs = append(errs, err)
	}
	if p.Capacity < 0 || p.Capacity > MaxCapacity {
		errs = append(errs, fmt.Errorf("capacity %d: want 0 (no limit) to %d open conversations", p.Capacity, MaxCapacity))
	}
	if !ValidCMStatus(p.Status) {
		errs = append(errs, fmt.Errorf("status %q: want %s or %s", p.Status, StatusAvailable, StatusAway))
	}
	if len(p.Specialisations) > MaxSpecialisations {
		errs = append(errs, fmt.Errorf("specialisations: at most %d, got %d", MaxSpecialisations, len(p.Specialisations)))
	}
	seen := make(map[[2]string]bool, len(p.Specialisations))
	for _, s := range p.Specialisations {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		key := [2]string{s.Workspace, s.Topic}
		if seen[key] {
			errs = append(errs, fmt.Errorf("specialisation %s:%s: listed twice", s.Workspace, s.Topic))
		}
		seen[key] = true
	}
	return joinErrors(errs)
}

// joinErrors joins errs on one line, or returns nil when there are none.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

// Validate checks one specialisation.
func (s Specialisation) Validate() error {
	name := s.Workspace + ":" + s.Topic
	switch {
	case s.Workspace == "":
		return fmt.Errorf("specialisation %q: no workspace", name)
	case strings.TrimSpace(s.Topic) != s.Topic || s.Topic == "" || !utf8.ValidString(s.Topic) ||
		utf8.RuneCountInString(s.Topic) > MaxTopicLen || strings.IndexFunc(s.Topic, unicode.IsControl) >= 0:
		return fmt.Errorf("specialisation %q: the topic must have 1 to %d printable characters without surrounding spaces", name, MaxTopicLen)
	case !(s.Strength > 0 && s.Strength <= 1): // NaN too
		return fmt.Errorf("specialisation %q: strength %v: want more than 0 and at most 1", name, s.Strength)
	}
	return nil
}

// ValidateTimeZone checks that tz names an IANA time zone, such as
// "Europe/Paris" or "UTC".
func ValidateTimeZone(tz string) error {
	// LoadLocation takes "" for UTC and "Local" for the machine's zone:
	// neither names a zone a person lives in.
	if tz == "" || tz == "Local" || len(tz) > maxTimeZoneLen {
		return fmt.Errorf("time zone %q: want an IANA name such as Europe/Paris or UTC", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("time zone %q: unknown; want an IANA name such as Europe/Paris or UTC", tz)
	}
	return nil
}

// Weekdays as WeeklyHours keys, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// WeeklyHours is when a CM works, in their time zone: for each weekday
// ("mon" … "sun"), intervals "HH:MM-HH:MM" such as "09:00-12:30". A day
// absent or empty is not worked. An interval may end at "24:00".
type WeeklyHours map[string][]string

// Validate checks the weekdays and intervals: well formed, each ending
// after it starts, and not overlapping on the same day.
func (h WeeklyHours) Validate() error {
	var errs []error
	for _, day := range slices.Sorted(maps.Keys(h)) {
		intervals := h[day]
		if !slices.Contains(Weekdays, day) {
			errs = append(errs, fmt.Errorf("hours: unknown weekday %q: want one of %s", day, strings.Join(Weekdays, ", ")))
			continue
		}
		if len(intervals) > MaxIntervalsPerDay {
			errs = append(errs, fmt.Errorf("hours %s: at most %d intervals a day, got %d", day, MaxIntervalsPerDay, len(intervals)))
			continue
		}
		type span struct {
			start, end int
			text       string
		}
		var spans []span
		for _, iv := range intervals {
			start, end, err := ParseInterval(iv)
			if err != nil {
				errs = append(errs, fmt.Errorf("hours %s: %w", day, err))
				continue
			}
			spans = append(spans, span{start, end, iv})
		}
		slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
		for i := 1; i < len(spans); i++ {
			if spans[i].start < spans[i-1].end {
				errs = append(errs, fmt.Errorf("hours %s: %s overlaps %s", day, spans[i-1].text, spans[i].text))
			}
		}
	}
	return joinErrors(errs)
}

// ParseInterval reads "HH:MM-HH:MM" and returns its ends in minutes after
// midnight.
func ParseInterval(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		start, ok = parseClock(a)
	}
	if ok {
		end, ok = parseClock(b)
	}
	if !ok {
		return 0, 0, fmt.Errorf("interval %q: want HH:MM-HH:MM, such as 09:00-12:30", s)
	}
	if end <= start {
		return 0, 0, fmt.Errorf("interval %q: ends before it starts", s)
	}
	return start, end, nil
}

// parseClock reads "HH:MM", 00:00 to 24:00, into minutes after midnight.
func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	digits := [4]byte{s[0], s[1], s[3], s[4]}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	hh := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[3]-'0')*10 + int(s[4]-'0')
	if mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

// ValidLanguage reports whether code is a lower-case ISO 639-1 code.
func ValidLanguage(code string) bool {
	if len(code) != 2 {
		return false
	}
	for i := 0; i+2 <= len(iso6391); i += 3 {
		if iso6391[i:i+2] == code {
			return true
		}
	}
	return false
}

// iso6391 lists the ISO 639-1 codes, space separated.
const iso6391 = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
	"da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
	"ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo " +
	"lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps " +
	"pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn " +
	"to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

// ProfileView is a profile as people read it: whose it is, and the
// sectors of the workspaces they work in, with a warning when those are
// more than one CM can know well.
type ProfileView struct {
	Login string `json:"login"`
	Name  string `json:"name"`
	Profile
	Sectors []string `json:"sectors"`
	Warning string   `json:"warning,omitempty"`
}

// NewProfileView makes the view of u's profile p, given the sectors u works
// in and how many a CM may work in before it warns (DefaultMaxSectors when
// maxSectors ≤ 0).
func NewProfileView(u User, p Profile, sectors []string, maxSectors int) ProfileView {
	if sectors == nil {
		sectors = []string{}
	}
	return ProfileView{Login: u.Login, Name: u.Name, Profile: p, Sectors: sectors,
		Warning: SpreadWarning(u.Name, sectors, maxSectors)}
}

// SpreadWarning says, when sectors are more than maxSectors
// (DefaultMaxSectors when maxSectors ≤ 0), that the person named name is
// spread too thin; otherwise it returns "". This is the intern juggling six
// clients of unrelated sectors: each community gets someone who knows none
// of them well.
func SpreadWarning(name string, sectors []string, maxSectors int) string {
	if maxSectors <= 0 {
		maxSectors = DefaultMaxSectors
	}
	if len(sectors) <= maxSectors {
		return ""
	}
	return fmt.Sprintf("%s works in %d unrelated sectors (%s): more than %d, too many to know each community well; "+
		"split the workspaces by sector", name, len(sectors), strings.Join(sectors, ", "), maxSectors)
}
