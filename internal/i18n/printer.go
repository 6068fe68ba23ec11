package i18n

import (
	"fmt"
	"html/template"
	"reflect"
	"strings"
)

// Printer writes the console's texts, numbers and dates in one language.
// It is immutable and safe for concurrent use; New is cheap, so a request
// makes its own.
type Printer struct {
	lang    Lang
	catalog map[string]string // English → this language; nil for English
}

// New returns the printer of l. An unsupported l gets the English one.
func New(l Lang) *Printer {
	if l == French {
		return &Printer{lang: French, catalog: frenchCatalog()}
	}
	return &Printer{lang: English}
}

// Lang is the printer's language.
func (p *Printer) Lang() Lang { return p.lang }

// T translates the English text key (itself in English, or when the
// catalogue lacks it), then formats it with fmt.Sprintf when args are
// given: p.T("Assigned to %s.", name).
func (p *Printer) T(key string, args ...any) string {
	s := p.translate(key)
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// translate is key in the printer's language.
func (p *Printer) translate(key string) string {
	if s, ok := p.catalog[key]; ok && s != "" {
		return s
	}
	return key
}

// N picks the singular or plural English text for the count n, translates
// it and formats it with n: p.N(n, "%d message", "%d messages"). English
// takes the singular for 1 only, French for 0 and 1 (CLDR plural rules).
// A text without a verb is returned as it is ("one message").
func (p *Printer) N(n int, one, other string) string {
	s := other
	if p.singular(n) {
		s = one
	}
	s = p.translate(s)
	if !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, n)
}

// singular reports whether n takes the singular form in p's language.
func (p *Printer) singular(n int) bool {
	if n < 0 {
		n = -n
	}
	if p.lang == French {
		return n <= 1
	}
	return n == 1
}

// Funcs returns the template functions bound to p, for html/template:
//
//	t        T          {{t "Inbox"}}, {{t "Assigned to %s." .Name}}, {{t .Status}}
//	n        N          {{n .Count "%d message" "%d messages"}}
//	number   Number     {{number .Score 2}}
//	int      Int        {{int .Total}}
//	percent  Percent    {{percent .Rate}}
//	date     Date       {{date .At $.V.Loc}}
//	datetime DateTime   {{datetime .At $.V.Loc}}
//	relative Relative   {{relative .At $.V.Now}}
//	duration Duration   {{duration .Left}}
//
// n, number and int take any integer or floating-point type, so that
// templates need not convert counts; the others take the method's types.
func (p *Printer) Funcs() template.FuncMap {
	return template.FuncMap{
		"t": p.T,
		"n": func(n any, one, other string) (string, error) {
			i, err := toInt(n)
			return p.N(int(i), one, other), err
		},
		"number": func(n any, decimals int) (string, error) {
			f, err := toFloat(n)
			return p.Number(f, decimals), err
		},
		"int": func(n any) (string, error) {
			i, err := toInt(n)
			return p.Int(i), err
		},
		"percent":  p.Percent,
		"date":     p.Date,
		"datetime": p.DateTime,
		"relative": p.Relative,
		"duration": p.Duration,
	}
}

// toInt converts a template value of an integer kind to int64.
func toInt(v any) (int64, error) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return int64(r.Uint()), nil
	}
	return 0, fmt.Errorf("i18n: %T is not an integer", v)
}

// toFloat converts a template value of a numeric kind to float64.
func toFloat(v any) (float64, error) {
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Float32, reflect.Float64:
		return r.Float(), nil
	}
	i, err := toInt(v)
	if err != nil {
		return 0, fmt.Errorf("i18n: %T is not a number", v)
	}
	return float64(i), nil
}
