package i18n

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Separators of French numbers: a narrow no-break space groups thousands
// (CLDR), a no-break space precedes the percent sign.
const (
	frGroup   = "\u202f"
	frPercent = "\u00a0%"
)

// Number writes n rounded to decimals places (0 or more) with the
// language's separators: en 12,345.6, fr 12 345,6.
func (p *Printer) Number(n float64, decimals int) string {
	switch {
	case math.IsNaN(n):
		return "NaN"
	case math.IsInf(n, 1):
		return "∞"
	case math.IsInf(n, -1):
		return "-∞"
	}
	s := strconv.FormatFloat(n, 'f', max(decimals, 0), 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	out := p.group(whole)
	if frac != "" {
		out += p.decimalSeparator() + frac
	}
	if neg && strings.Trim(s, "0.") != "" { // no "-0" once rounded
		out = "-" + out
	}
	return out
}

// Int writes n with the language's thousands separator: en 12,345,
// fr 12 345.
func (p *Printer) Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	if digits, ok := strings.CutPrefix(s, "-"); ok {
		return "-" + p.group(digits)
	}
	return p.group(s)
}

// Percent writes the fraction f as a whole percentage: 0.873 is en "87%",
// fr "87 %".
func (p *Printer) Percent(f float64) string {
	n := p.Number(f*100, 0)
	if p.lang == French {
		return n + frPercent
	}
	return n + "%"
}

// group puts the thousands separator between groups of three digits.
func (p *Printer) group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	sep := ","
	if p.lang == French {
		sep = frGroup
	}
	var b strings.Builder
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// decimalSeparator is the language's decimal mark.
func (p *Printer) decimalSeparator() string {
	if p.lang == French {
		return ","
	}
	return "."
}

// frenchMonths are the CLDR abbreviated month names of French.
var frenchMonths = [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// Date writes the day of t in loc (t's own location when loc is nil):
// en "25 Nov 2026", fr "25 nov. 2026".
func (p *Printer) Date(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	if p.lang == French {
		return strconv.Itoa(t.Day()) + " " + frenchMonths[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format("2 Jan 2006")
}

// MonthYear writes the month of t in loc (t's own location when loc is
// nil), in full: en "November 2026", fr "novembre 2026".
func (p *Printer) MonthYear(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	if p.lang == French {
		names := [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
		return names[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format("January 2006")
}

// DateTime writes the day and the time of t in loc (t's own location when
// loc is nil), on the 24-hour clock: en "25 Nov 2026, 14:05",
// fr "25 nov. 2026 à 14:05".
func (p *Printer) DateTime(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	sep := ", "
	if p.lang == French {
		sep = " à "
	}
	return p.Date(t, nil) + sep + t.Format("15:04")
}

// Relative writes how long before or after now t is, in the largest whole
// unit: "just now" within a minute either way, then "5 min ago", "3 h ago",
// "2 d ago", or "in 5 min" for a time to come (fr "à l'instant",
// "il y a 5 min", "il y a 2 j", "dans 5 min").
func (p *Printer) Relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d // Sub saturates, so this cannot overflow back below zero
		if d < 0 {
			d = math.MaxInt64
		}
	}
	if d < time.Minute {
		return p.T("just now")
	}
	var n int64
	var past, coming string
	switch {
	case d < time.Hour:
		n, past, coming = int64(d/time.Minute), "%d min ago", "in %d min"
	case d < 24*time.Hour:
		n, past, coming = int64(d/time.Hour), "%d h ago", "in %d h"
	default:
		n, past, coming = int64(d/(24*time.Hour)), "%d d ago", "in %d d"
	}
	if future {
		return p.T(coming, n)
	}
	return p.T(past, n)
}

// Duration writes d as a compact countdown, to the minute (truncated):
// "45 min", "2 h 05", "3 d 4 h" (fr "3 j 4 h"). A negative d, an overdue
// deadline, gets a minus sign: "-2 h 05".
func (p *Printer) Duration(d time.Duration) string {
	minutes := int64(d / time.Minute) // truncated toward zero: no "-0 min"
	sign := ""
	if minutes < 0 {
		sign, minutes = "-", -minutes
	}
	days, hours, mins := minutes/(24*60), minutes/60%24, minutes%60
	switch {
	case days > 0 && hours > 0:
		return sign + p.T("%d d %d h", days, hours)
	case days > 0:
		return sign + p.T("%d d", days)
	case hours > 0 && mins > 0:
		return sign + p.T("%d h %02d", hours, mins)
	case hours > 0:
		return sign + p.T("%d h", hours)
	}
	return sign + p.T("%d min", mins)
}
