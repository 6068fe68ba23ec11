// Package demo builds the seeded data set that `palabre demo` serves: an
// agency with three client brands in unrelated sectors (cosmetics, cycling,
// banking), their channels, and a few hundred messages that read like a real
// community — questions, complaints, praise, requests, suggestions, spam and
// brand answers, in French and English, from regulars and passers-by.
//
// Everything is deterministic: the same reference time always yields the
// same messages, so screenshots, tests and walkthroughs stay reproducible,
// while the dates stay recent relative to when the demo is served.
//
// The data describes what a connector would bring in, nothing more: analysis
// fields (language, sentiment, intent, spam…) and member ids are left empty
// for the pipeline to compute.
package demo

import (
	"time"

	"palabre/internal/model"
)

// Brand is one demo client: its workspace and channels. IDs and creation
// times are zero; the store assigns them when the demo is seeded.
type Brand struct {
	Workspace model.Workspace
	Channels  []model.Channel
	Topics    []model.Topic // the brand's vocabulary
}

// Brands returns the three demo brands, in a fixed order: Maison Lumière
// (cosmetics), Vélo Atelier (cycling) and Banque des Alpes (banking).
func Brands() []Brand {
	all := catalogue()
	out := make([]Brand, len(all))
	for i, b := range all {
		out[i] = b.brand
	}
	return out
}

// Messages returns every demo message of the brand with that workspace slug,
// or nil for an unknown slug. Dates fall within the 60 days before now, and
// each message comes after the one it answers, both in time and in the
// returned slice. The same slug and now always give identical messages;
// another now shifts every CreatedAt by the difference and changes nothing
// else.
func Messages(slug string, now time.Time) []model.Message {
	for _, b := range catalogue() {
		if b.brand.Workspace.Slug == slug {
			return newWriter(b, now).write()
		}
	}
	return nil
}

// catalogue lists the data of every demo brand, in the order of Brands.
func catalogue() []brandData {
	return []brandData{maisonLumiere(), veloAtelier(), banqueDesAlpes()}
}
