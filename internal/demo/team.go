package demo

import (
	"time"

	"palabre/internal/model"
	"palabre/internal/sla"
)

// Member is one person of the demo agency: a user, their role in each
// brand they work for, and the profile routing reads.
type Member struct {
	Login, Name string
	Roles       map[string]string // workspace slug → role
	Languages   []string
	Capacity    int
	// Specialisations name the brands' topics the member knows best.
	Specialisations []model.Specialisation
}

// Team returns the demo agency's people: CMs specialised by brand and
// topic — one of them detached to two brands —, a manager over all three
// brands, an expert of the cosmetics brand and a client of the cycling
// brand, in a fixed order.
func Team() []Member {
	spec := func(ws, topic string, strength float64) model.Specialisation {
		return model.Specialisation{Workspace: ws, Topic: topic, Strength: strength}
	}
	return []Member{
		{Login: "lea", Name: "Léa Martin", Roles: map[string]string{"maison-lumiere": model.RoleCM},
			Languages: []string{"fr"}, Capacity: 40, Specialisations: []model.Specialisation{
				spec("maison-lumiere", "peau sensible", 0.9), spec("maison-lumiere", "ingrédients", 0.7), spec("maison-lumiere", "parfum", 0.5)}},
		{Login: "hugo", Name: "Hugo Bernard", Roles: map[string]string{"velo-atelier": model.RoleCM},
			Languages: []string{"fr", "en"}, Capacity: 40, Specialisations: []model.Specialisation{
				spec("velo-atelier", "repair", 0.9), spec("velo-atelier", "e-bike", 0.8)}},
		{Login: "sam", Name: "Sam Taylor", Roles: map[string]string{"velo-atelier": model.RoleCM},
			Languages: []string{"en", "fr"}, Capacity: 40, Specialisations: []model.Specialisation{
				spec("velo-atelier", "delivery", 0.8), spec("velo-atelier", "sizing", 0.6)}},
		{Login: "ines", Name: "Inès Moreau", Roles: map[string]string{"banque-des-alpes": model.RoleCM, "maison-lumiere": model.RoleCM},
			Languages: []string{"fr", "en"}, Capacity: 40, Specialisations: []model.Specialisation{
				spec("banque-des-alpes", "crédit", 0.9), spec("banque-des-alpes", "frais", 0.6), spec("banque-des-alpes", "fraude", 0.7),
				spec("maison-lumiere", "livraison", 0.7), spec("maison-lumiere", "prix", 0.6)}},
		{Login: "nadia", Name: "Nadia Roux", Languages: []string{"fr", "en"}, Roles: map[string]string{
			"maison-lumiere": model.RoleManager, "velo-atelier": model.RoleManager, "banque-des-alpes": model.RoleManager}},
		{Login: "claire", Name: "Dr Claire Perrin", Roles: map[string]string{"maison-lumiere": model.RoleExpert}, Languages: []string{"fr"}},
		{Login: "marc", Name: "Marc (Vélo Atelier)", Roles: map[string]string{"velo-atelier": model.RoleClient}, Languages: []string{"fr"}},
	}
}

// SLA returns the relationship promise of a demo brand: business hours in
// Paris, a warning half an hour before a target, and tighter targets for
// urgent conversations.
func SLA(slug string) sla.Settings {
	week := model.WeeklyHours{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		week[d] = []string{"09:00-18:00"}
	}
	if slug == "velo-atelier" { // a shop: open on Saturdays too
		week["sat"] = []string{"10:00-16:00"}
	}
	h := func(n int) sla.Duration { return sla.Duration(time.Duration(n) * time.Hour) }
	return sla.Settings{
		Calendar:   sla.Calendar{TimeZone: "Europe/Paris", Hours: week, Holidays: []string{"2026-12-25", "2027-01-01"}},
		WarnBefore: sla.Duration(30 * time.Minute),
		Policies: []sla.Policy{
			{Name: "urgent", Priorities: []int{model.PriorityUrgent, model.PriorityCritical},
				FirstResponse: h(1), NextResponse: h(2), Resolution: h(24)},
			{Name: "standard", FirstResponse: h(4), NextResponse: h(8), Resolution: h(72)},
		},
		Escalation: sla.Escalation{Notify: true},
	}
}

// CannedReplies returns a demo brand's saved answers, in French and
// English.
func CannedReplies(slug string) []model.CannedReply {
	out := []model.CannedReply{
		{Name: "Accusé de réception", Language: "fr",
			Body: "Bonjour {{member.first_name | à vous}}, merci pour votre message ! Nous regardons cela et revenons vers vous très vite. — {{cm.first_name}}, {{workspace.name}}"},
		{Name: "Accusé de réception", Language: "en",
			Body: "Hi {{member.first_name | there}}, thanks for your message! We are looking into it and will get back to you shortly. — {{cm.first_name}}, {{workspace.name}}"},
		{Name: "Passer en message privé", Language: "fr",
			Body: "{{member.first_name | Bonjour}}, pour vous aider au mieux, pouvez-vous nous écrire en message privé avec votre numéro de commande ? Merci ! — {{cm.first_name}}"},
	}
	if slug == "banque-des-alpes" {
		out = append(out, model.CannedReply{Name: "Sécurité", Language: "fr",
			Body: "Bonjour {{member.first_name | à vous}}, {{workspace.name}} ne vous demandera jamais vos codes par message. Ne les communiquez à personne. — {{cm.first_name}}"})
	}
	return out
}
