package enrich

import "testing"

// TestCommentPhenomena checks what real comments contain, as the issue
// lists it: accents left out, HTML remnants, elongations, emoticons,
// negation, questions without a question mark, French and English mixed,
// links and mentions, spam. Comparisons are relative where they can be,
// so that they state the behaviour rather than one model's numbers.
func TestCommentPhenomena(t *testing.T) {
	a := defaultAnalyzer(t)
	s := NewScratch(a.Model())
	an := func(text string) Result { r := a.Analyze(s, text); r.Topics = nil; return r }

	same := []struct{ name, a, b string }{
		{"missing accents", "Très déçu, le colis est arrivé cassé et personne ne répond", "tres decu, le colis est arrive casse et personne ne repond"},
		{"html remnants", "<p>Super produit&nbsp;!<br/>Merci &amp; bravo</p>", "Super produit ! Merci bravo"},
		{"elongation", "trooooop bien cette crème", "trop bien cette crème"},
	}
	for _, tt := range same {
		ra, rb := an(tt.a), an(tt.b)
		if ra.Sentiment != rb.Sentiment || ra.Intent != rb.Intent || ra.Lang != rb.Lang {
			t.Errorf("%s: %q gives %s/%s/%s, %q gives %s/%s/%s", tt.name,
				tt.a, ra.Lang, ra.Sentiment, ra.Intent, tt.b, rb.Lang, rb.Sentiment, rb.Intent)
		}
	}

	higher := []struct{ name, better, worse string }{
		{"pas mal", "pas mal du tout", "c'est mal fait"},
		{"not bad", "not bad", "bad"},
		{"ne … jamais", "je recommande cette marque", "je ne recommanderai jamais cette marque"},
		{"ne … plus", "j'achète cette crème", "je n'achète plus cette crème"},
		{"not good", "it is good", "it is not good"},
		{"emoticons", "ok :)", "ok :("},
		{"emoji", "livraison reçue 😍", "livraison reçue 😡"},
		{"but", "the screen is small but the battery is excellent", "the battery is excellent but the screen is awful"},
	}
	for _, tt := range higher {
		if b, w := an(tt.better).SentimentScore, an(tt.worse).SentimentScore; b <= w {
			t.Errorf("%s: %q scores %v, not above %q at %v", tt.name, tt.better, b, tt.worse, w)
		}
	}

	labels := []struct {
		text, lang, sentiment, intent string
		needs, spam                   bool
	}{
		{"vous livrez en Belgique", "fr", "", "question", true, false},
		{"savez-vous quand la boutique rouvre", "fr", "", "question", true, false},
		{"est-ce que le produit convient aux peaux sensibles", "fr", "", "question", true, false},
		{"how do I reset my password", "en", "", "question", true, false},
		{"Toujours pas reçu ma commande après 3 semaines", "fr", "neg", "complaint", true, false},
		{"merci de me rappeler au plus vite", "fr", "", "request", true, false},
		{"Bravo à toute l'équipe, super boulot", "fr", "pos", "praise", false, false},
		{"le delivery était nul, really disappointed", "fr", "neg", "complaint", true, false},
		{"Check out my channel and subscribe!!! http://bit.ly/xyz", "en", "", "other", false, true},
		{"pas mal du tout", "fr", "pos", "", false, false},
		{"WORST SERVICE EVER, I WANT A REFUND", "en", "neg", "", true, false},
	}
	for _, tt := range labels {
		r := an(tt.text)
		if r.Lang != tt.lang || (tt.sentiment != "" && r.Sentiment != tt.sentiment) || (tt.intent != "" && r.Intent != tt.intent) ||
			r.NeedsResponse != tt.needs || r.Spam != tt.spam {
			t.Errorf("%q: %s %s %s needs=%t spam=%t, want %s %s %s needs=%t spam=%t", tt.text,
				r.Lang, r.Sentiment, r.Intent, r.NeedsResponse, r.Spam, tt.lang, tt.sentiment, tt.intent, tt.needs, tt.spam)
		}
	}

	// A mention or a link is not a word: it changes no language.
	if a, b := an("@julie regarde cette vidéo https://example.com/v"), an("regarde cette vidéo"); a.Lang != b.Lang || a.Lang != "fr" {
		t.Errorf("mention and link: lang %s, without them %s, want fr", a.Lang, b.Lang)
	}
	// Another language is not taken for French or English.
	for _, text := range []string{"¿Dónde está la tienda más cercana? Gracias por la ayuda", "Wann kommt meine Bestellung? Ich warte schon seit einer Woche", "Привет, когда будет доставка?"} {
		if r := an(text); r.Lang != "other" {
			t.Errorf("%q: lang %s, want other", text, r.Lang)
		}
	}
}
