package demo

import "palabre/internal/model"

// This file holds who is in the demo: the brands, their channels, their
// community managers and their community. What these people say lives in
// texts.go. Every table is built by a function, so no caller can alter
// another's copy.

// Channel kinds, as the connectors name them.
const (
	kindWordPress = "wordpress"
	kindForum     = "forum"
	kindInstagram = "instagram"
	kindFacebook  = "facebook"
	kindEmail     = "email"
)

// brandData is everything the generator needs to write one brand's messages.
type brandData struct {
	brand    Brand
	seed     uint64 // fixes the brand's random stream
	site     string // public web site, for blog URLs
	forum    string // forum web site, if the brand has a forum
	account  string // the brand's own handle or page name on social networks
	support  string // the support mailbox
	team     [2]string
	casual   bool     // staff may greet with "Hello" and sign with an emoji
	emoji    string   // the emoji staff add on social networks
	orderFmt string   // how an order number looks, e.g. "ML-%05d"
	products []string // with their French article: "le Sérum Éclat de Rose"
	cities   []string
	staff    []staffer
	people   []person
	posts    []post
	lines    []line
	mails    []line
}

// teamName returns how the support team signs e-mails in lang.
func (b brandData) teamName(lang string) string {
	if lang == "en" {
		return b.team[1]
	}
	return b.team[0]
}

// staffer is one community manager of a brand.
type staffer struct {
	name   string // how they sign on the blog, e.g. "Léa de Maison Lumière"
	first  string
	email  string
	handle string // their forum account
	sign   string // closing line of their answers on blogs and forums
}

// person is one member of a brand's community, or a spammer.
type person struct {
	key     string
	name    string // canonical signature; empty when only a handle is known
	email   string
	handle  string
	url     string
	lang    string
	regular bool // writes often, in many threads
	sloppy  bool // signs with varying case or only a first name
	spammer bool
}

// canWriteOn reports whether the person has the identity a channel kind
// shows: a name on blogs and Facebook, a handle on Instagram and forums, a
// name and an address for e-mail.
func (p person) canWriteOn(kind string) bool {
	switch kind {
	case kindWordPress, kindFacebook:
		return p.name != ""
	case kindInstagram, kindForum:
		return p.handle != ""
	case kindEmail:
		return p.name != "" && p.email != ""
	}
	return false
}

func workspace(slug, name, sector, lang string) model.Workspace {
	return model.Workspace{Slug: slug, Name: name, Sector: sector, Language: lang}
}

func channel(name, kind string) model.Channel {
	return model.Channel{Name: name, Kind: kind}
}

// spammers returns the accounts that post spam on every brand's channels.
func spammers() []person {
	return []person{
		{key: "spam-crypto", name: "Maria Trading FX", handle: "crypto.maria_fx", lang: "fr", spammer: true},
		{key: "spam-followers", handle: "followers_boost_24", lang: "en", spammer: true},
		{key: "spam-glasses", name: "Cheap Sunglasses Outlet", email: "sale@rb-outlet.example", url: "http://rb-outlet.example", lang: "en", spammer: true},
		{key: "spam-seo", name: "Kevin from SEO Growth", email: "kevin@seo-growth.example", url: "https://seo-growth.example", lang: "en", spammer: true},
		{key: "spam-invest", name: "Laurent Dubois Invest", handle: "laurent.invest.pro", lang: "fr", spammer: true},
		{key: "spam-gifts", name: "Cadeaux Gratuits", handle: "cadeaux.gratuits.fr", email: "jeu@cadeau-gratuit.example", lang: "fr", spammer: true},
		{key: "spam-ambassador", handle: "brand.ambassadors.hub", lang: "en", spammer: true},
	}
}

// maisonLumiere is a natural cosmetics brand from Grasse, French-speaking,
// busy on Instagram.
func maisonLumiere() brandData {
	return brandData{
		brand: Brand{
			Workspace: workspace("maison-lumiere", "Maison Lumière", "cosmetics", "fr"),
			Channels: []model.Channel{
				channel("blog", kindWordPress),
				channel("instagram", kindInstagram),
				channel("support-email", kindEmail),
			},
			Topics: []model.Topic{
				{Name: "livraison", Terms: []string{"livraison", "colis", "commande", "délai", "delivery", "parcel", "shipping"}},
				{Name: "peau sensible", Terms: []string{"peau sensible", "irritation", "allergie", "rougeurs", "sensitive skin", "rash"}},
				{Name: "parfum", Terms: []string{"parfum", "odeur", "senteur", "fragrance", "scent"}},
				{Name: "ingrédients", Terms: []string{"ingrédient", "composition", "bio", "naturel", "vegan", "ingredient"}},
				{Name: "prix", Terms: []string{"prix", "cher", "promo", "réduction", "code promo", "price", "discount"}},
			},
		},
		seed:     0x4d4c756d69657265,
		site:     "https://www.maison-lumiere.example",
		account:  "maisonlumiere.officiel",
		support:  "contact@maison-lumiere.example",
		team:     [2]string{"Service client Maison Lumière", "Maison Lumière customer care"},
		casual:   true,
		emoji:    "💛",
		orderFmt: "ML-%05d",
		products: []string{
			"le Sérum Éclat de Rose", "la Crème Nuit Velours", "l'Huile Sèche Soleil d'Or",
			"le Baume Lèvres Figue", "l'Eau Micellaire Douceur", "le Masque Argile Verte",
			"la Crème Mains Lavande",
		},
		cities: []string{"Lyon", "Nantes", "Lille", "Bordeaux", "Toulouse", "Rennes", "Bruxelles", "Genève"},
		staff: []staffer{
			{name: "Léa de Maison Lumière", first: "Léa", email: "lea@maison-lumiere.example", sign: "Léa, Maison Lumière"},
			{name: "Inès de Maison Lumière", first: "Inès", email: "ines@maison-lumiere.example", sign: "Inès, pour l'équipe Maison Lumière"},
		},
		people: []person{
			{key: "camille", name: "Camille Roux", email: "camille.roux@mailo.example", handle: "camille.rx", lang: "fr", regular: true, sloppy: true},
			{key: "nadia", name: "Nadia Benali", email: "nadia.benali@orange.example", lang: "fr", regular: true, sloppy: true},
			{key: "soso", handle: "soso_makeup_addict", lang: "fr", regular: true},
			{key: "marie-claude", name: "Marie-Claude Fabre", email: "mc.fabre@laposte.example", lang: "fr", regular: true, sloppy: true},
			{key: "naturel", name: "Élodie (Beauté au naturel)", email: "elodie@beaute-au-naturel.example", handle: "beaute_au_naturel_", url: "https://beaute-au-naturel.example", lang: "fr", regular: true},
			{key: "jess", handle: "glowwithjess", lang: "en", regular: true},
			{key: "lucie", name: "Lucie", lang: "fr"},
			{key: "chloe", name: "Chloé Martin", email: "chloe.martin@free.example", lang: "fr"},
			{key: "emma", handle: "emma_ptitebulle", lang: "fr"},
			{key: "julien", name: "Julien Garnier", email: "julien.garnier@gmail.example", lang: "fr"},
			{key: "sarah", name: "Sarah L.", lang: "fr"},
			{key: "amandine", name: "Amandine Petit", email: "amandine.petit@sfr.example", lang: "fr"},
			{key: "helene", name: "Hélène Dupuis", email: "h.dupuis@orange.example", lang: "fr"},
			{key: "lili", handle: "lili.skincare", lang: "fr"},
			{key: "yasmine", name: "Yasmine K", email: "yasmine.k@gmail.example", handle: "yasmine.k_", lang: "fr"},
			{key: "olivia", name: "Olivia Brooks", email: "olivia.brooks@outlook.example", handle: "liv.brooks", lang: "en"},
		},
		posts: lumierePosts(),
		lines: lumiereLines(),
		mails: lumiereMails(),
	}
}

// veloAtelier is a Lyon bicycle maker with an international, bilingual
// community and a busy forum.
func veloAtelier() brandData {
	return brandData{
		brand: Brand{
			Workspace: workspace("velo-atelier", "Vélo Atelier", "cycling", "en"),
			Channels: []model.Channel{
				channel("blog", kindWordPress),
				channel("forum", kindForum),
				channel("instagram", kindInstagram),
				channel("support-email", kindEmail),
			},
			Topics: []model.Topic{
				{Name: "repair", Terms: []string{"repair", "puncture", "flat tyre", "flat tire", "brake", "chain", "réparation", "crevaison", "frein"}},
				{Name: "delivery", Terms: []string{"delivery", "shipping", "parcel", "order", "livraison", "colis"}},
				{Name: "e-bike", Terms: []string{"e-bike", "ebike", "battery", "motor", "charge", "vélo électrique", "batterie"}},
				{Name: "sizing", Terms: []string{"size", "frame size", "fit", "taille", "cadre"}},
			},
		},
		seed:     0x56656c6f41746c72,
		site:     "https://www.velo-atelier.example",
		forum:    "https://forum.velo-atelier.example",
		account:  "veloatelier.lyon",
		support:  "atelier@velo-atelier.example",
		team:     [2]string{"L'équipe Vélo Atelier", "The Vélo Atelier team"},
		casual:   true,
		emoji:    "🚲",
		orderFmt: "VA-%05d",
		products: []string{"le Randonneur 2", "l'Urbain E-8", "le Gravel Col", "le Cargo Famille", "le Pliant Métro"},
		cities:   []string{"Lyon", "Grenoble", "Genève", "Annecy", "Paris", "Berlin", "Amsterdam", "Bruxelles"},
		staff: []staffer{
			{name: "Thomas – Vélo Atelier", first: "Thomas", email: "thomas@velo-atelier.example", handle: "Thomas_VeloAtelier", sign: "Thomas, Vélo Atelier"},
			{name: "Maya – Vélo Atelier", first: "Maya", email: "maya@velo-atelier.example", handle: "Maya_VeloAtelier", sign: "Maya @ Vélo Atelier"},
			{name: "Jules – atelier", first: "Jules", email: "jules@velo-atelier.example", handle: "Jules_Atelier", sign: "Jules, mécano chez Vélo Atelier"},
		},
		people: []person{
			{key: "tom", name: "Tom Becker", email: "tom.becker@posteo.example", handle: "tombecker_rides", lang: "en", regular: true, sloppy: true},
			{key: "antoine", name: "Antoine Lefèvre", email: "antoine.lefevre@free.example", handle: "AntoineL69", lang: "fr", regular: true, sloppy: true},
			{key: "sarah", name: "Sarah O'Neill", email: "sarah.oneill@gmail.example", handle: "sarah_on_wheels", lang: "en", regular: true, sloppy: true},
			{key: "pym", name: "Pierre-Yves Morel", email: "py.morel@orange.example", handle: "pym_cyclo", lang: "fr", regular: true, sloppy: true},
			{key: "jonas", name: "Jonas Weber", email: "jonas.w@web.example", handle: "jonas_gravel", lang: "en", regular: true},
			{key: "manon", handle: "manon.velotaf", lang: "fr", regular: true},
			{key: "lukas", handle: "lukas.bikepacking", lang: "en"},
			{key: "claire", name: "Claire Dubreuil", email: "claire.dubreuil@laposte.example", lang: "fr"},
			{key: "mike", name: "Mike Harris", email: "mike.h@outlook.example", handle: "mikeh_commutes", lang: "en"},
			{key: "benoit", name: "Benoît", lang: "fr"},
			{key: "anna", name: "Anna Kowalski", email: "anna.kowalski@gmail.example", lang: "en"},
			{key: "velotaf", handle: "velotaf_lyon", lang: "fr"},
			{key: "hugo", name: "Hugo Marchand", email: "hugo.marchand@gmail.example", handle: "hugo_fixie", lang: "fr"},
			{key: "emily", handle: "emily.rides.cargo", lang: "en"},
			{key: "isabelle", name: "Isabelle Granger", email: "i.granger@transports-granger.example", lang: "fr"},
			{key: "noah", name: "Noah van Dijk", email: "noah.vandijk@ziggo.example", handle: "noah_vd", lang: "en"},
		},
		posts: veloPosts(),
		lines: veloLines(),
		mails: veloMails(),
	}
}

// banqueDesAlpes is a regional bank of Savoie, Haute-Savoie and Isère,
// French-speaking, formal, with a Facebook page full of card troubles.
func banqueDesAlpes() brandData {
	return brandData{
		brand: Brand{
			Workspace: workspace("banque-des-alpes", "Banque des Alpes", "banking", "fr"),
			Channels: []model.Channel{
				channel("blog", kindWordPress),
				channel("facebook", kindFacebook),
				channel("support-email", kindEmail),
			},
			Topics: []model.Topic{
				{Name: "carte bancaire", Terms: []string{"carte bancaire", "carte bleue", "cb", "carte", "plafond", "card"}},
				{Name: "application", Terms: []string{"application", "appli", "app", "mot de passe", "connexion", "identifiant", "login", "password"}},
				{Name: "crédit", Terms: []string{"crédit", "prêt", "emprunt", "taux", "mortgage", "loan"}},
				{Name: "frais", Terms: []string{"frais", "agios", "commission", "fees", "charges"}},
				{Name: "fraude", Terms: []string{"fraude", "arnaque", "phishing", "hameçonnage", "opposition", "fraud", "scam"}},
			},
		},
		seed:     0x4244416c70657321,
		site:     "https://www.banque-des-alpes.example",
		account:  "Banque des Alpes",
		support:  "service.client@banque-des-alpes.example",
		team:     [2]string{"Service client Banque des Alpes", "Banque des Alpes customer service"},
		products: []string{"l'appli Alpes Mobile", "la carte Sommet", "le Livret Montagne", "le compte Jeune Pousse", "le prêt immobilier Horizon", "l'assurance habitation"},
		cities:   []string{"Annecy", "Chambéry", "Grenoble", "Albertville", "Thonon-les-Bains", "Cluses", "Bourg-Saint-Maurice", "Voiron"},
		staff: []staffer{
			{name: "Sophie – Banque des Alpes", first: "Sophie", email: "sophie.m@banque-des-alpes.example", sign: "Sophie, conseillère en ligne"},
			{name: "Karim – Banque des Alpes", first: "Karim", email: "karim.b@banque-des-alpes.example", sign: "Karim, conseiller en ligne"},
			{name: "Élodie – Banque des Alpes", first: "Élodie", email: "elodie.r@banque-des-alpes.example", sign: "Élodie, service client"},
		},
		people: []person{
			{key: "jean-marc", name: "Jean-Marc Perrin", email: "jm.perrin@orange.example", lang: "fr", regular: true, sloppy: true},
			{key: "emilie", name: "Émilie Girard", email: "emilie.girard@gmail.example", lang: "fr", regular: true, sloppy: true},
			{key: "kevin", name: "Kévin Blanc", email: "kevin.blanc74@gmail.example", lang: "fr", regular: true, sloppy: true},
			{key: "francoise", name: "Françoise Mugnier", email: "f.mugnier@wanadoo.example", lang: "fr", regular: true},
			{key: "emily", name: "Emily Carter", email: "emily.carter@gmail.example", lang: "en"},
			{key: "thierry", name: "Thierry Vuillermoz", lang: "fr", regular: true, sloppy: true},
			{key: "nathalie", name: "Nathalie B", lang: "fr"},
			{key: "loic", name: "Loïc Dupraz", email: "loic.dupraz@free.example", lang: "fr"},
			{key: "sandrine", name: "Sandrine Collomb", email: "sandrine.collomb@laposte.example", lang: "fr"},
			{key: "marco", name: "Marco Bianchi", email: "marco.bianchi@libero.example", lang: "en"},
			{key: "audrey", name: "Audrey", lang: "fr"},
			{key: "patrick", name: "Patrick Revil", email: "p.revil@orange.example", lang: "fr"},
			{key: "ludo", name: "Ludo Savoyard", lang: "fr"},
			{key: "ines", name: "Inès Haddad", email: "ines.haddad@gmail.example", lang: "fr"},
			{key: "spam-fake-bank", name: "Banque Des Alpes Assistance", lang: "fr", spammer: true},
		},
		posts: banquePosts(),
		lines: banqueLines(),
		mails: banqueMails(),
	}
}
