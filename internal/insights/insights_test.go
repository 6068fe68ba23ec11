package insights

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func msg(id int64, lang, intent, body string, topics ...string) Message {
	return Message{ID: id, ConversationID: id, At: time.Date(2026, 3, int(id%28)+1, 10, 0, 0, 0, time.UTC),
		Lang: lang, Author: "a", Body: body, Intent: intent, Sentiment: "neu", Topics: topics}
}

func TestWords(t *testing.T) {
	var got []string
	words("Bonjour ! L'atelier répare-t-il les VÉLOS électriques d’occasion ? 42 €", func(w string) { got = append(got, w) })
	want := []string{"atelier", "répare", "vélos", "électriques", "occasion"}
	if !slices.Equal(got, want) {
		t.Errorf("words %q, want %q", got, want)
	}
	if s, p := stem("vélos", "fr"), stem("vélo", "fr"); s != p {
		t.Errorf("vélos and vélo stem apart: %q, %q", s, p)
	}
}

// TestQuestions counts similar questions together, in either language's
// forms of the words.
func TestQuestions(t *testing.T) {
	now := []Message{
		msg(1, "fr", "question", "Quels sont vos horaires d'ouverture le samedi ?", "magasin"),
		msg(2, "fr", "question", "Vous êtes ouverts samedi ? Quels horaires ?", "magasin"),
		msg(3, "fr", "question", "Horaires d'ouverture du samedi svp", "magasin"),
		msg(4, "fr", "question", "Livrez-vous en Belgique ?", "livraison"),
		msg(5, "fr", "question", "Est-ce que la livraison en Belgique est possible ?", "livraison"),
		msg(6, "fr", "complaint", "Mon vélo électrique est tombé en panne après deux semaines.", "sav"),
		msg(7, "en", "question", "Do you repair electric bikes bought elsewhere?", "sav"),
	}
	all := Compute(now, nil)[0]
	if all.Topic != "" || all.Messages != 7 {
		t.Fatalf("all: %q, %d messages", all.Topic, all.Messages)
	}
	if len(all.Questions) < 3 || all.Questions[0].Count != 3 || all.Questions[0].MessageID != 1 || all.Questions[1].Count != 2 {
		t.Fatalf("questions %+v", all.Questions)
	}
	for _, q := range all.Questions {
		if q.MessageID == 6 {
			t.Error("a complaint listed among the questions")
		}
	}
	topics := Compute(now, nil)[1:]
	if len(topics) != 3 || topics[0].Topic != "magasin" || topics[0].Messages != 3 || topics[1].Questions[0].Count != 2 {
		t.Fatalf("topics: %+v", topics)
	}
}

// TestEmerging finds the words far more frequent than before, and only
// those said often enough.
func TestEmerging(t *testing.T) {
	var before, now []Message
	for i := range 20 {
		before = append(before, msg(int64(i+1), "fr", "other", "La livraison du colis est rapide, merci à l'équipe du magasin"))
	}
	for i := range 20 {
		body := "La livraison du colis est rapide, merci à l'équipe du magasin"
		if i < 6 {
			body = "Le rappel des batteries m'inquiète : ma batterie chauffe, la livraison a suivi ?"
		}
		if i == 7 {
			body = "Une trottinette une seule fois"
		}
		now = append(now, msg(int64(100+i), "fr", "other", body))
	}
	terms := Compute(now, before)[0].Emerging
	var got []string
	for _, tm := range terms {
		got = append(got, tm.Term)
	}
	if !slices.Contains(got, "batterie") && !slices.Contains(got, "batteries") {
		// either form may stand for the stem
		t.Errorf("emerging %v: batteries are missing", terms)
	}
	if slices.Contains(got, "rappel") == false {
		t.Errorf("emerging %v: rappel is missing", terms)
	}
	for _, tm := range terms {
		if tm.Term == "livraison" || tm.Term == "trottinette" || tm.Now < MinEmerging {
			t.Errorf("%+v is not emerging", tm)
		}
	}
	// Nothing before: nothing to compare with.
	if terms := Compute(now, nil)[0].Emerging; len(terms) != 0 {
		t.Errorf("emerging against an empty period: %v", terms)
	}
}

// TestQuotes picks representative, distinct, readable messages, clipped.
func TestQuotes(t *testing.T) {
	long := strings.Repeat("Le vélo électrique du magasin est vraiment formidable pour aller travailler. ", 10)
	now := []Message{
		msg(1, "fr", "praise", "Le vélo électrique est formidable pour aller travailler tous les jours.", "velo"),
		msg(2, "fr", "praise", "Le vélo électrique est formidable pour aller travailler tous les jours !", "velo"),
		msg(3, "fr", "feedback", "Un vélo électrique formidable, même si la batterie est un peu lourde.", "velo"),
		msg(4, "fr", "other", "ok", "velo"),
		msg(5, "fr", "other", long, "velo"),
		msg(6, "fr", "other", "La météo de demain annonce de la pluie sur toute la région.", "velo"),
	}
	qs := Compute(now, nil)[1].Quotes
	if len(qs) != MaxQuotes {
		t.Fatalf("%d quotes: %+v", len(qs), qs)
	}
	ids := []int64{qs[0].MessageID, qs[1].MessageID, qs[2].MessageID}
	if slices.Contains(ids, 4) || (slices.Contains(ids, 1) && slices.Contains(ids, 2)) || slices.Contains(ids, 6) {
		t.Errorf("quotes %v: too short, twice the same, or off the topic", ids)
	}
	for _, q := range qs {
		if n := len([]rune(q.Text)); n > MaxQuote || (q.MessageID == 5 && !strings.HasSuffix(q.Text, "…")) {
			t.Errorf("quote %d is %d runes: %q", q.MessageID, n, q.Text)
		}
	}
}
