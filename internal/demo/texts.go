package demo

// This file holds what is said in the demo: the brands' posts, what their
// communities write under them, the e-mails their support receives, and the
// small talk shared by every brand (reactions, spam, thanks, nudges).
//
// Placeholders the generator fills in: {p} a product's name, {lp} the same
// with its French article ("le Sérum…", "l'Urbain…") and {Lp} capitalised,
// {n} a small number, {city} a city, {order} an order number, {friend} and
// {friend2} handles of friends tagged in a comment.

// intent is what a line is for. It steers the thread (does the brand answer,
// does someone chime in) and is never copied into a message: a later stage
// analyses the text on its own.
type intent int

const (
	question intent = iota
	complaint
	praise
	request
	feedback
	reaction // a few words or emojis, a friend tagged
	spam
)

// needsAnswer reports whether a member writing with this intent waits for
// the brand.
func (i intent) needsAnswer() bool {
	return i == question || i == complaint || i == request
}

// line is one thing someone may write, with what the brand answers and what
// the author says back.
type line struct {
	lang    string
	intent  intent
	only    string // the channel kind this line makes sense on; "" for any
	who     string // key of the person who says it; "" lets the generator choose
	subject string // e-mail subject
	text    string
	answer  string // the brand's answer; "" for a generic one, if any
	follow  string // the author's reply to the answer
}

// fr and en write a line; replies are the brand's answer then the author's
// follow-up, both optional.
func fr(i intent, text string, replies ...string) line { return say("fr", i, text, replies) }

func en(i intent, text string, replies ...string) line { return say("en", i, text, replies) }

func say(lang string, i intent, text string, replies []string) line {
	l := line{lang: lang, intent: i, text: text}
	if len(replies) > 0 {
		l.answer = replies[0]
	}
	if len(replies) > 1 {
		l.follow = replies[1]
	}
	return l
}

// on restricts a line to one channel kind.
func (l line) on(kind string) line { l.only = kind; return l }

// by gives a line to one person.
func (l line) by(key string) line { l.who = key; return l }

// about sets the subject of an e-mail.
func (l line) about(subject string) line { l.subject = subject; return l }

// post opens a conversation: a brand's article or social post, or a
// member's forum topic.
type post struct {
	channel string
	lang    string
	title   string
	body    string
	product string // what the post is about, with its article; "" for anything
	author  string // person key for a member's topic; "" for the brand
	intent  intent // of a member's topic
	answer  string // the brand's answer to a member's topic
	contest bool   // a giveaway: mostly friends tagged
	more    int    // comments to add from the brand's general talk
	talk    []line // comments written for this post
}

// ---------------------------------------------------------------------------
// Maison Lumière

func lumierePosts() []post {
	return []post{
		{
			channel: "blog", lang: "fr", product: "le Sérum Éclat de Rose",
			title: "Notre nouveau Sérum Éclat de Rose est arrivé",
			body:  "Après deux ans de recherche dans notre laboratoire de Grasse, voici notre sérum à la rose de Damas et à l'acide hyaluronique. Il unifie le teint, hydrate sans coller et convient aux peaux sensibles.\n\nDans cet article, Clémence, notre formulatrice, raconte comment nous l'avons mis au point, et vous explique comment l'appliquer matin et soir.",
			more:  3,
			talk: []line{
				fr(question, "Bonjour, est ce qu'il convient aux peaux grasses a tendance acnéique ? merci",
					"Oui, le Sérum Éclat de Rose est non comédogène et il a été testé sur des peaux mixtes à grasses. Appliquez 2 à 3 gouttes le soir sur peau propre, en tapotant sans frotter.",
					"Super merci je vais tester 🙂"),
				fr(question, "Il y a du parfum dedans ? je réagis a tout ce qui est parfumé...",
					"Son odeur vient uniquement de l'eau florale de rose, sans parfum ajouté. Si vous avez une allergie connue, faites un test de 48 h au creux du coude avant la première utilisation."),
				fr(praise, "Reçu hier, la texture est incroyable, ça pénètre tout de suite. Hâte de voir ce que ça donne sur la durée !"),
				fr(feedback, "Dommage que le flacon soit en plastique, pour une marque qui parle de naturel... un flacon en verre rechargeable ce serait top",
					"Merci pour cette remarque très juste. Le verre rechargeable est à l'étude pour la prochaine collection, et nous transmettons votre message à l'équipe produit."),
				fr(question, "c'est compatible avec le retinol ?",
					"Oui : sérum d'abord, puis rétinol une fois la peau sèche, le soir. Évitez simplement de l'associer à un autre exfoliant le même soir."),
			},
		},
		{
			channel: "blog", lang: "fr", product: "la Crème Nuit Velours",
			title: "5 gestes pour protéger sa peau du froid",
			body:  "Vent, chauffage, écarts de température : l'hiver met la barrière cutanée à rude épreuve. Nettoyer sans décaper, hydrater matin et soir, nourrir la nuit, ne pas oublier les lèvres et les mains, et boire suffisamment. Nos conseils pas à pas, et les produits de la gamme qui vous accompagnent.",
			more:  3,
			talk: []line{
				fr(question, "La crème nuit velours peut s'utiliser aussi le matin ? elle est un peu riche pour moi",
					"Vous pouvez, mais elle est pensée pour la nuit et peut briller sous le maquillage. Le matin, une noisette de Sérum Éclat de Rose suffit souvent, et la crème le soir."),
				fr(praise, "Article super clair merci ! J'ajouterais de dormir avec un humidificateur, ça a tout changé chez moi"),
				fr(complaint, "J'ai suivi vos conseils et la creme nuit m'a donné des petits boutons sur le menton... 😕",
					"Nous sommes désolées de lire cela. Pouvez-vous nous écrire à contact@maison-lumiere.example avec le numéro de lot (sous le pot) ? Notre pharmacienne regardera votre cas, et nous vous rembourserons si la crème ne vous convient pas.",
					"Merci, j'ai envoyé le mail ce matin"),
			},
		},
		{
			channel: "blog", lang: "fr",
			title: "Dans les coulisses de notre atelier de Grasse",
			body:  "Huit personnes, deux cuves, une salle de conditionnement et beaucoup de pétales : nous vous ouvrons les portes de l'atelier où sont fabriqués tous nos soins, de la macération des plantes jusqu'à l'étiquetage à la main.",
			more:  2,
			talk: []line{
				fr(request, "Est-ce qu'on peut visiter l'atelier ?? je passe a Grasse cet été avec ma fille",
					"Avec plaisir ! L'atelier est ouvert au public le premier samedi de chaque mois, sur réservation depuis notre site (rubrique Ateliers). À bientôt à Grasse !",
					"Génial, je réserve 😍"),
				fr(praise, "Ca fait plaisir de voir une marque qui fabrique encore en France 👏👏"),
				fr(question, "Vous recrutez ? je suis étudiante en chimie et je cherche un stage de 2 mois",
					"Merci pour votre intérêt ! Envoyez votre CV et vos dates à recrutement@maison-lumiere.example : notre responsable laboratoire vous répondra."),
			},
		},
		{
			channel: "blog", lang: "fr", product: "l'Huile Sèche Soleil d'Or",
			title: "Huile Sèche Soleil d'Or : le secret d'un été lumineux",
			body:  "Monoï, huile de tournesol et une pointe de nacre : notre huile sèche sublime la peau, les cheveux et laisse un parfum de vacances. Comment l'utiliser, avant ou après la plage, et ce qu'elle ne fait pas.",
			more:  3,
			talk: []line{
				fr(question, "elle protège du soleil ou pas du tout ? c'est pas clair sur le site",
					"Bonne question : l'Huile Sèche Soleil d'Or ne contient aucun filtre solaire. Elle nourrit et sublime la peau mais ne protège pas des UV, il faut toujours appliquer une protection solaire avant."),
				fr(complaint, "Le bouchon a fuit dans ma valise, toute ma trousse est foutue 😤",
					"Oh non, désolées ! Envoyez-nous une photo et votre numéro de commande par mail, nous vous renvoyons un flacon avec le nouveau bouchon à vis.",
					"Mail envoyé, merci pour la réactivité"),
				fr(praise, "meilleure huile que j'ai testée, et l'odeur des vacances 😍"),
			},
		},
		{
			channel: "blog", lang: "fr",
			title: "Nos engagements : zéro test animal, ingrédients tracés",
			body:  "D'où viennent nos ingrédients, qui les cultive, pourquoi nous refusons les tests sur les animaux et ce que veulent dire les logos sur nos emballages. Une mise au point, produit par produit.",
			more:  2,
			talk: []line{
				fr(question, "Vous êtes certifiés bio ou juste 'naturel' ? parce que c'est pas du tout la même chose",
					"Vous avez raison, ce n'est pas pareil ! 6 de nos 14 produits sont certifiés bio (le logo figure sur l'emballage). Les autres sont d'origine naturelle à plus de 95 % sans être certifiés. Le détail est sur chaque fiche produit."),
				fr(feedback, "Ce serait bien d'indiquer l'origine de chaque ingrédient directement sur la fiche produit, pas seulement dans un article"),
				fr(question, "Et vegan ? le baume lèvres contient de la cire d'abeille non ?",
					"Bien vu : le Baume Lèvres Figue contient de la cire d'abeille, il n'est donc pas vegan. Tous les autres produits le sont, un petit logo l'indique sur leurs fiches."),
			},
		},
		{
			channel: "instagram", lang: "fr", product: "le Sérum Éclat de Rose",
			body: "Le Sérum Éclat de Rose dans la lumière du matin ☀️🌹 Qui l'a déjà adopté ?\n#skincare #madeinfrance #cosmetiquenaturelle",
			more: 3,
			talk: []line{
				fr(question, "il est dispo en pharmacie ?",
					"On le trouve sur notre site et dans une trentaine de boutiques partenaires, la liste est dans le lien en bio"),
				en(praise, "Adopted!! my skin has never been this smooth ✨"),
			},
		},
		{
			channel: "instagram", lang: "fr", contest: true,
			body: "CONCOURS 🎁 À gagner : 3 coffrets Rituel du Soir !\nPour participer : suivez @maisonlumiere.officiel, likez ce post et identifiez 2 amies. Tirage au sort dimanche soir, bonne chance ✨",
			more: 6,
			talk: []line{
				fr(question, "on peut participer depuis la Belgique ?",
					"Oui, le concours est ouvert à la France, la Belgique et la Suisse !"),
			},
		},
		{
			channel: "instagram", lang: "fr", product: "la Crème Mains Lavande",
			body: "Nouveau 💜 La Crème Mains Lavande, pour des mains douces même après dix lavages par jour. Non grasse, elle pénètre en 30 secondes.\n#lavande #provence",
			more: 3,
			talk: []line{
				fr(question, "Elle existe en grand format ? pour le boulot (je suis infirmière) j'en utilise un tube par semaine",
					"Merci pour tout ce que vous faites ! Un flacon pompe de 250 ml arrive le mois prochain, pensé justement pour les soignantes."),
			},
		},
		{
			channel: "instagram", lang: "fr",
			body: "Rencontre avec Bernard et Josiane, qui cultivent la lavande de nos crèmes sur le plateau de Valensole depuis 30 ans 🌾 Récolte à la main, distillation sur place.",
			more: 2,
		},
		{
			channel: "instagram", lang: "fr",
			body: "Routine du soir en 3 étapes ✨ Eau Micellaire Douceur, Sérum Éclat de Rose, Crème Nuit Velours.\nEt vous, vous faites combien d'étapes le soir ?",
			more: 4,
			talk: []line{
				fr(reaction, "1 seule étape : dodo 😂"),
				fr(question, "On met le sérum sur peau humide ou seche ?",
					"Sur peau encore légèrement humide, il pénètre mieux !"),
			},
		},
		{
			channel: "instagram", lang: "fr",
			body: "-20 % sur tout le site ce week-end avec le code LUMIERE20 🛍️ Jusqu'à dimanche minuit !",
			more: 2,
			talk: []line{
				fr(complaint, "le code LUMIERE20 marche pas, il me dit code invalide 😤",
					"Désolées ! Le code était limité aux commandes sans coffret, mais nous venons de l'élargir : réessayez, il fonctionne maintenant sur tout le site.",
					"C'est bon ça marche, merci !"),
				fr(complaint, "J'ai commandé jeudi au prix fort, vous pouvez m'appliquer la réduc ? ça fait mal au coeur 😅",
					"On comprend ! Écrivez-nous avec votre numéro de commande à contact@maison-lumiere.example, nous vous ferons un geste."),
			},
		},
		{
			channel: "instagram", lang: "fr", product: "le Masque Argile Verte",
			body: "Le Masque Argile Verte, votre allié peau nette 🌿 10 minutes, une fois par semaine, et on rince à l'eau tiède.",
			more: 2,
		},
	}
}

func lumiereLines() []line {
	return []line{
		fr(question, "Est-ce que {lp} convient aux peaux sensibles ?",
			"Oui, {lp} fait partie des soins testés sous contrôle dermatologique sur peaux sensibles. Faites tout de même un petit test au creux du coude la première fois."),
		fr(question, "Vous livrez en Belgique ? et c'est combien les frais de port",
			"Oui, nous livrons en Belgique et en Suisse : 5,90 €, et la livraison est offerte dès 49 € d'achat."),
		fr(question, "bonjour, combien de temps se conserve {lp} après ouverture ?",
			"6 mois après ouverture : c'est ce qu'indique le petit pot ouvert dessiné sur l'emballage. À conserver à l'abri de la chaleur."),
		fr(question, "c'est normal que la texture ait changé ? {lp} que je viens de recevoir est plus liquide que d'habitude",
			"Nous avons légèrement allégé la formule au printemps, sans changer les actifs. Si votre produit a une odeur inhabituelle, écrivez-nous avec le numéro de lot, nous vérifierons."),
		fr(question, "On peut l'utiliser enceinte ?",
			"Par précaution, demandez toujours l'avis de votre médecin ou de votre sage-femme pendant la grossesse. La liste complète des ingrédients est sur la fiche produit pour la leur montrer."),
		fr(question, "Y a des échantillons ? j'aimerais tester avant d'acheter le grand format",
			"Oui ! Vous pouvez ajouter 2 échantillons gratuits à chaque commande, et nos boutiques partenaires en ont aussi.",
			"Ah top je savais pas"),
		fr(question, "Il revient quand {lp} ?? en rupture depuis des semaines",
			"Le réassort arrive d'ici une dizaine de jours. Cliquez sur « Me prévenir » sur la fiche produit, vous recevrez un mail dès son retour."),
		fr(question, "Vous avez une boutique a {city} ou faut forcément commander en ligne",
			"Pas de boutique à notre nom, mais plusieurs de nos revendeurs sont près de {city} : la carte est sur notre site, rubrique « Où nous trouver »."),
		fr(question, "je peux offrir {lp} en emballage cadeau ?",
			"Bien sûr : cochez « emballage cadeau » au moment de payer, c'est gratuit, et vous pouvez ajouter un petit mot."),
		fr(complaint, "Commande passée il y a {n} jours toujours pas reçue, et aucune réponse a mes mails. Pas sérieux.",
			"Nous sommes vraiment désolées pour cette attente. Pouvez-vous nous envoyer votre numéro de commande par mail ? Nous regardons avec le transporteur aujourd'hui même.",
			"Envoyé. J'espère que ça va se débloquer..."),
		fr(complaint, "J'ai eu des rougeurs après avoir mis {lp}, ça brulait carrément. J'ai arrêté tout de suite",
			"Nous sommes désolées. Rincez à l'eau claire et n'hésitez pas à demander conseil à un pharmacien. Écrivez-nous à contact@maison-lumiere.example avec le numéro de lot : notre pharmacienne vous rappellera, et nous vous rembourserons."),
		fr(complaint, "Franchement déçue, le pot est à moitié vide quand on l'ouvre, c'est du vent pour ce prix là",
			"Merci pour votre retour. Le pot est rempli au poids (50 ml) et l'espace en haut sert à la fermeture, mais nous comprenons l'impression : nous transmettons à l'équipe emballage."),
		fr(complaint, "Le site plante au moment du paiement, j'ai essayé 3 fois 😡",
			"Désolées ! Un souci de paiement a touché certains navigateurs hier soir, il est corrigé. Votre panier est conservé, vous pouvez réessayer."),
		fr(complaint, "colis arrivé écrasé, un flacon cassé et tout a coulé sur les autres produits",
			"Quelle déception, nous sommes désolées. Envoyez-nous une photo du colis et votre numéro de commande : nous renvoyons toute la commande dès aujourd'hui."),
		fr(praise, "J'utilise {lp} depuis {n} mois et ma peau n'a jamais été aussi belle, merci !!"),
		fr(praise, "Trop contente de ma commande, emballage magnifique et le petit mot écrit à la main 🥰"),
		fr(praise, "Ma dermato m'a conseillé vos produits et je regrette pas du tout"),
		fr(praise, "{Lp}, cette odeur... je pourrais la sentir toute la journée 😍"),
		fr(praise, "offert à ma mère pour son anniv, elle est fan. Merci pour les conseils en boutique à {city} !"),
		fr(request, "vous pouvez m'envoyer le catalogue papier svp ? je commande pas sur internet",
			"Avec plaisir ! Envoyez-nous votre adresse postale à contact@maison-lumiere.example, nous vous le postons cette semaine."),
		fr(request, "Je voudrais me faire rembourser {lp}, ça ne me convient pas du tout. Comment on fait",
			"Vous avez 30 jours pour nous retourner un produit, même ouvert. Remplissez le formulaire « Retour » dans votre espace client : l'étiquette est offerte."),
		fr(request, "Vous pourriez refaire le coffret de Noël de l'an dernier ? je voulais l'offrir a ma soeur",
			"On note ! Le coffret de cette année reprend deux des trois soins, et vous pouvez composer votre propre coffret sur le site."),
		fr(feedback, "Ce serait top un format voyage pour {lp}, 100 ml en cabine c'est pas possible"),
		fr(feedback, "Les recharges c'est bien mais il en faudrait pour tous les produits, pas seulement la crème"),
		fr(feedback, "Petite remarque : la police sur les étiquettes est trop petite, j'arrive pas à lire la composition sans lunettes 😅"),
		fr(feedback, "Un programme de fidélité ce serait sympa, je commande tous les mois 😇"),
		en(question, "Do you ship to the UK? 😍",
			"Yes, we ship to the UK! Delivery takes 4 to 6 working days. Customs fees may apply, unfortunately."),
		en(praise, "Obsessed with the {p}!! my skin is glowing ✨"),
		en(question, "Is it cruelty free?",
			"Yes, 100% cruelty free: we never test on animals, and neither do our suppliers 🐰"),
		en(question, "Does the {p} come in a bigger size?",
			"Not yet, but a 100 ml refill version is coming in the next few weeks!"),
		en(request, "Can you send samples to Canada? 🙏",
			"We don't ship to Canada yet, sorry! It's high on our list."),
		en(feedback, "Please add English descriptions on the website, the auto translation is kinda funny 😅"),
		en(complaint, "Ordered {n} weeks ago and still nothing, tracking hasn't moved since it left France 😕",
			"So sorry about this! Please send your order number to contact@maison-lumiere.example and we'll chase the carrier today."),
	}
}

func lumiereMails() []line {
	return []line{
		fr(complaint, "J'ai passé la commande {order} il y a maintenant {n} jours et je n'ai toujours rien reçu. Le suivi indique « en cours d'acheminement » depuis une semaine. C'était un cadeau pour un anniversaire qui est passé... Pouvez-vous me dire où est mon colis ?",
			"Nous sommes vraiment désolées pour ce retard, surtout pour un cadeau. Le transporteur a égaré votre colis sur sa plateforme de Lyon : nous vous en renvoyons un nouveau aujourd'hui en express, à nos frais, et vous remboursons les frais de port.",
			"Merci beaucoup pour votre réponse et le geste, c'est apprécié.").about("Commande {order} pas reçue").by("nadia"),
		fr(complaint, "Bonjour, j'ai utilisé {lp} deux soirs de suite et j'ai le visage tout rouge et gonflé ce matin. Je suis allée chez le pharmacien qui m'a donné une crème. Je voulais vous prévenir et savoir ce qu'il y a exactement dedans, je suis allergique aux huiles essentielles.",
			"Nous sommes sincèrement désolées et espérons que cela va mieux. {Lp} contient en effet des traces d'huile essentielle de rose, signalées dans la liste d'ingrédients. Notre pharmacienne, Anne, va vous appeler demain pour faire le point, et nous vous remboursons le produit. Pourriez-vous nous indiquer le numéro de lot inscrit sous le flacon ?").about("Réaction allergique").by("chloe"),
		fr(request, "Je souhaiterais être remboursée de ma commande {order} : la teinte du fond de teint ne me va pas du tout, beaucoup trop foncée. Le produit n'a été ouvert qu'une fois.",
			"Aucun souci : vous trouverez ci-joint une étiquette de retour prépayée. Dès réception, nous vous remboursons sous 5 jours. Si vous le souhaitez, nous pouvons aussi vous envoyer des échantillons de teintes plus claires.",
			"Oui je veux bien des échantillons, merci !").about("Demande de remboursement").by("amandine"),
		fr(request, "Je suis esthéticienne à {city} et j'aimerais proposer vos soins en cabine. Auriez-vous un catalogue professionnel et vos conditions pour les instituts ?",
			"Merci pour votre intérêt ! Je vous joins notre catalogue professionnel et la grille tarifaire instituts. Notre commerciale pour votre région, Margaux, vous contactera cette semaine pour organiser une démonstration.").about("Catalogue professionnel").by("yasmine"),
		fr(question, "Petite question sur {lp} : y a-t-il des silicones ou des sulfates dedans ? Je fais attention depuis ma grossesse. Merci !",
			"Aucun silicone ni sulfate dans {lp}. Vous trouverez la liste complète des ingrédients, avec leur rôle expliqué simplement, sur la fiche produit.").about("Question composition").by("camille"),
		fr(complaint, "Le colis est arrivé ouvert, il manque le baume lèvres qui était sur la facture. Le carton avait l'air d'avoir été scotché à nouveau.",
			"Désolées pour ce désagrément ! Nous avons signalé le colis au transporteur, et vous renvoyons le baume dès aujourd'hui.").about("Colis ouvert, produit manquant").by("helene"),
		fr(request, "Je suis créatrice de contenu beauté (12k abonnés sur Insta, surtout du skincare naturel) et j'adore votre marque. Seriez-vous ouverts à une collaboration, par exemple un test de votre nouvelle gamme ?",
			"Merci beaucoup pour votre message et vos jolis contenus ! Nous vous envoyons volontiers la nouvelle gamme à tester, sans contrepartie obligatoire. Pouvez-vous nous confirmer votre adresse postale ?",
			"Trop bien, merci ! Adresse envoyée 🙂").about("Collaboration").by("naturel"),
		fr(question, "Est-ce que les cartes cadeaux sont valables en boutique partenaire ou seulement sur le site ? Et elles expirent quand ?",
			"Les cartes cadeaux sont valables un an, uniquement sur notre site pour l'instant.").about("Carte cadeau").by("julien"),
		fr(question, "Je n'arrive plus à me connecter à mon compte, le mot de passe est refusé et je ne reçois pas le mail de réinitialisation...").about("Impossible de me connecter").by("marie-claude"),
		fr(praise, "Juste un petit mot pour vous dire merci : ma peau a été transformée par votre crème de nuit, après des années à tout essayer. Et merci pour le petit échantillon glissé dans le colis, une délicate attention.",
			"Votre message a fait le tour de l'atelier et nous a toutes fait très plaisir, merci à vous !").about("Merci !").by("marie-claude"),
		en(question, "Hi, do you have a shop in Paris where I could try your products before buying? I'm visiting next month. Thanks!",
			"We don't have our own shop in Paris, but two partner concept stores in the Marais carry our full range. I've attached their addresses.").about("Shop in Paris?").by("olivia"),
		fr(spam, "Bonjour,\nVotre site maison-lumiere.example pourrait apparaître en première page de Google en 30 jours. Nous proposons des backlinks de qualité à partir de 99 €. Répondez à ce mail pour un audit gratuit.").about("Référencement de votre site").by("spam-seo"),
	}
}

// ---------------------------------------------------------------------------
// Vélo Atelier

func veloPosts() []post {
	return []post{
		{
			channel: "blog", lang: "en", product: "le Gravel Col",
			title: "Meet the new Gravel Col: steel, 11 kg, made in Lyon",
			body:  "Three years of prototypes, a few thousand kilometres on the Vercors gravel and a frame brazed in our Croix-Rousse workshop: the Gravel Col is here. Steel frame, carbon fork, clearance for wide tyres and all the mounts you need for long trips.",
			more:  3,
			talk: []line{
				en(question, "What's the tyre clearance? Will 50mm fit?",
					"Yes: the Gravel Col clears 700x50 or 650Bx2.1 without mudguards. With mudguards we recommend 45 mm max."),
				fr(question, "Il existe en taille XS ? je fais 1m58",
					"Oui, le Gravel Col existe en XS, pour environ 1,52 à 1,62 m. Le mieux reste de venir l'essayer à l'atelier, ou de nous envoyer vos mesures : on vous conseille la taille."),
				en(feedback, "Love it but please add rack mounts on the fork, bikepacking people will thank you",
					"Good news: the fork has mounts for cages and a small rack on both sides. They're hard to see in the photos, we'll add a close-up!"),
				en(question, "Price?? and when can I order",
					"The frameset is €1,490 and complete bikes start at €2,390. Pre-orders open on the website next Monday, first deliveries in about six weeks.",
					"Perfect, setting a reminder"),
			},
		},
		{
			channel: "blog", lang: "fr",
			title: "Entretien : régler ses freins à disque en 10 minutes",
			body:  "Un disque qui frotte, un levier qui s'enfonce trop ? Avant de passer à l'atelier, voici comment recentrer un étrier, vérifier l'usure des plaquettes et savoir quand les changer. Avec la vidéo de Jules, notre mécano.",
			more:  2,
			talk: []line{
				fr(question, "ça marche aussi pour les freins hydrauliques ou que les mécaniques ?",
					"Le recentrage de l'étrier est le même. Pour les hydrauliques, si le levier reste mou après réglage, il faut purger : ça, on préfère le faire à l'atelier."),
				fr(praise, "Super tuto, j'ai enfin réussi à supprimer le frottement de mon disque arrière 🙌 merci Jules"),
				en(question, "Any chance of an English version of this guide?",
					"Yes! English version next week, and the video already has English subtitles."),
			},
		},
		{
			channel: "blog", lang: "en", product: "l'Urbain E-8",
			title: "Winter riding: 6 tips for your e-bike battery",
			body:  "Cold doesn't damage a lithium battery, but charging it cold does. Where to store it, when to charge it, why range drops in winter and how to get it back in spring.",
			more:  2,
			talk: []line{
				fr(question, "Je laisse mon Urbain E-8 dans un garage non chauffé, c'est grave pour la batterie ?",
					"Pas pour le vélo, mais rentrez la batterie à l'intérieur quand il fait moins de 5 °C, et rechargez-la à température ambiante. Elle gardera son autonomie bien plus longtemps.",
					"Ok merci, je vais la monter à l'appart alors"),
				en(complaint, "My battery lost like 30% range in 1 year, is that normal?? feels like a lot",
					"That's more than we'd expect. Please email us your frame number: we'll run a diagnostic, and a faulty cell is covered by the 2-year warranty."),
				en(praise, "Great tips, wish I'd read this last winter 😅"),
			},
		},
		{
			channel: "blog", lang: "fr", product: "le Cargo Famille",
			title: "Un an en Cargo Famille avec deux enfants et zéro voiture",
			body:  "Claire et Mehdi ont vendu leur voiture l'an dernier. École, courses, week-ends au bord du lac : ils racontent une année en vélo cargo à Lyon, les galères comme les bons moments.",
			more:  2,
			talk: []line{
				fr(question, "Vous avez un système de prêt pour tester le cargo sur un week end ?",
					"Oui ! Nous prêtons un Cargo Famille pour 48 h contre une caution. Réservation à l'atelier ou par mail.",
					"Génial, je vous écris"),
				fr(praise, "Trop inspirant, on hésite depuis des mois... cet article va peut-être nous décider"),
				en(question, "Does it fit in a lift? our building lift is 1.2m deep",
					"Honestly, no: the Cargo Famille is 2.3 m long. It can stand upright on its rear rack, but that's not very practical in a lift, sorry!"),
			},
		},
		{
			channel: "forum", lang: "fr", author: "antoine",
			title:  "Cliquetis au pédalier sur Randonneur 2",
			body:   "Salut à tous, depuis 300 km environ j'ai un cliquetis à chaque coup de pédale côté droit, surtout en montée. J'ai resserré les pédales, pas mieux. Quelqu'un a eu ça ? le vélo a 8 mois",
			answer: "Ça ressemble souvent au boîtier de pédalier qui a besoin d'être regraissé, ou à un axe de pédale. Passe à l'atelier : c'est sous garantie et ça prend 20 minutes.",
			more:   0,
			talk: []line{
				fr(feedback, "J'avais la même chose, c'était la patte de dérailleur mal serrée... essaie ça d'abord"),
				fr(feedback, "graisse les filetages des pedales, chez moi ça a suffi"),
				en(feedback, "Had the same on mine, it was the chainring bolts. Cheap fix!"),
				fr(feedback, "Tu as vérifié le jeu dans le boîtier ? si ça bouge quand tu tires la manivelle sur le côté c'est lui"),
				en(feedback, "Could also be the seatpost creaking, it sounds like the pedals but often isn't"),
			},
		},
		{
			channel: "forum", lang: "en", author: "tom", product: "l'Urbain E-8",
			title:  "Urbain E-8 app keeps crashing on Android",
			body:   "Since the last update the companion app crashes every time I open the battery screen. Reinstalled twice, same thing. Pixel phone, latest Android. Anyone else?",
			answer: "Thanks for the report! It's a known bug on recent Android versions, fixed in app version 2.3.1 which goes out this week. Meanwhile, clearing the app cache in your phone settings avoids the crash.",
			more:   0,
			talk: []line{
				en(complaint, "Same here, crashes as soon as I open the battery screen. Pretty annoying when you want to check range before a ride"),
				fr(complaint, "pareil sur mon Samsung, l'appli se ferme toute seule quand je lance un trajet"),
				en(feedback, "iPhone user here, no problem so far fwiw"),
				en(question, "Any ETA for the fix?",
					"Version 2.3.1 is being reviewed by the store, it should be live within 48 hours."),
				fr(feedback, "Idem sur un Xiaomi. Vider le cache ça marche en attendant 👍"),
			},
		},
		{
			channel: "forum", lang: "en", author: "sarah",
			title:  "Best tyres for winter commuting in Lyon?",
			answer: "Most of our commuters run 40 to 45 mm all-season tyres, a little softer in winter. We also have a few studded sets at the workshop you can borrow for a week to see if it's worth it.",
			body:   "My commute is 12 km along the Rhône, a bit of cobblestones, and it gets icy some mornings. What are you all running in winter? Currently on the stock 40 mm.",
			more:   0,
			talk: []line{
				en(feedback, "Studded tyres are overkill in Lyon tbh, a good 40mm all-season with lower pressure is plenty"),
				fr(feedback, "Moi je roule en 42 toute l'année, aucune crevaison en 2 ans. Baisse un peu la pression l'hiver"),
				en(question, "Following, same question for a cargo bike"),
				en(feedback, "I run 45mm with reflective sidewalls, visibility on the Rhône path is the real issue in winter"),
			},
		},
		{
			channel: "forum", lang: "fr", author: "pym", intent: praise, product: "le Randonneur 2",
			title:  "Compte rendu : Lyon → Nice en Randonneur 2 (1 200 km)",
			body:   "Quinze jours par la route des Grandes Alpes avec 14 kg de bagages. Pas une crevaison, un rayon changé à Briançon et des souvenirs plein la tête. Je mets les photos et la liste de matériel plus bas pour ceux que ça intéresse.",
			answer: "Quel voyage ! Merci pour ce récit et les photos, on l'a lu d'une traite à l'atelier. On peut le partager sur le blog ?",
			more:   0,
			talk: []line{
				fr(question, "Magnifique récit ! Tu avais quel développement pour les cols ?"),
				en(praise, "Amazing trip report, thanks for sharing!! saving this for next summer"),
				fr(question, "Bravo, ça donne envie ! Tu dormais en camping ou en gîte ?"),
				en(question, "What luggage setup? rack + panniers or bikepacking bags?"),
			},
		},
		{
			channel: "forum", lang: "en",
			title: "[Announcement] New opening hours for the Croix-Rousse workshop",
			body:  "From next month the workshop is open Tuesday to Saturday, 9:30 to 18:30, and until 20:00 on Thursdays for repairs. Closed on Sundays and Mondays. / Nouveaux horaires : du mardi au samedi, 9h30-18h30, nocturne jusqu'à 20h le jeudi.",
			more:  2,
			talk: []line{
				fr(question, "Et le lundi c'est fermé même pour récupérer un vélo ?",
					"Oui, fermé le lundi, mais si c'est urgent écris-nous : on peut s'arranger pour une remise de vélo le lundi matin."),
				en(praise, "Thursday evenings are perfect for me 👍"),
			},
		},
		{
			channel: "forum", lang: "fr", author: "hugo", product: "le Gravel Col",
			title:  "Garde-boue qui frotte sur le Gravel Col",
			body:   "J'ai monté les garde-boue d'origine avec des pneus de 45 et ça frotte à l'arrière dès que je me mets en danseuse. Vélo reçu il y a 3 semaines. C'est un défaut ou j'ai mal monté un truc ?",
			answer: "Avec du 45 c'est juste à l'arrière : il faut utiliser les entretoises longues fournies dans le sachet (on a oublié de le préciser dans la notice, désolés). Si ça frotte encore, passe, on règle ça gratuitement.",
			more:   0,
			talk: []line{
				fr(feedback, "Pareil avec du 47, les entretoises longues ont tout réglé"),
				fr(praise, "Merci, j'avais le même souci et j'avais pas vu le sachet 😅"),
			},
		},
		{
			channel: "instagram", lang: "en", product: "le Gravel Col",
			body: "Fresh out of the paint shop: Gravel Col in Forest Green 🌲\n#madeinlyon #steelisreal #gravel",
			more: 4,
			talk: []line{
				en(question, "Can I get this color on the Randonneur?",
					"Yes! Forest Green is available on every model from next month 🌲"),
			},
		},
		{
			channel: "instagram", lang: "fr",
			body: "Samedi matin à l'atelier ☕🔧 Café offert, réglages gratuits de 10h à 12h. Qui passe nous voir ?",
			more: 3,
		},
		{
			channel: "instagram", lang: "en", product: "le Cargo Famille",
			body: "The Cargo Famille doing the school run 🚸 Two kids, one dog, zero traffic jams.\n#cargobike #bikelife #lyon",
			more: 3,
		},
		{
			channel: "instagram", lang: "fr", product: "le Pliant Métro",
			body: "Nouveau coloris Terracotta pour le Pliant Métro 🧡 Plié en 15 secondes, 11 kg, il vous suit partout.",
			more: 3,
		},
		{
			channel: "instagram", lang: "en", contest: true,
			body: "GIVEAWAY 🎁 Win a full service at the workshop + a set of mudguards!\nFollow @veloatelier.lyon, like this post and tag a friend who rides. Winner announced Friday.",
			more: 6,
		},
	}
}

func veloLines() []line {
	return []line{
		en(question, "Do you ship to {city}? and how much",
			"Yes, we ship bikes all over Europe, 90% assembled in a big box. Shipping is €89, free above €2,000."),
		en(question, "What's the max rider weight on the {p}?",
			"Up to 130 kg rider plus luggage on the {p}. The frame is tested well beyond that."),
		en(question, "can I test ride the {p} somewhere near {city}?",
			"We have partner shops with demo bikes in several cities, the map is on our website. Or come to the workshop in Lyon, test rides any time we're open!"),
		en(question, "How long is the wait for the {p} right now?",
			"Around 4 to 6 weeks, depending on the size and colour. The website shows the current lead time on each product page."),
		en(question, "Is the battery removable? I live on the 4th floor",
			"Yes, it slides out with the key in a few seconds and weighs about 2.8 kg."),
		en(complaint, "Still waiting for my {p}, {n} weeks late and no news 😡",
			"Really sorry. A supplier delay on forks held up a batch, it's on its way to us now. Please email your order number so we can give you a precise date.",
			"Ok, sent. Thanks for finally answering"),
		en(complaint, "Rear derailleur snapped after 2 months on my {p}, not impressed",
			"Sorry to hear that! That's covered by the warranty: bring it in or email us a photo and we'll send a replacement part."),
		en(complaint, "Tried calling the workshop 3 times today, nobody picks up",
			"Sorry, Saturday is our busiest day and we can't always answer. Email is the fastest, we reply the same day on weekdays."),
		en(praise, "Best bike I've ever owned, {n} 000 km on my {p} and not a single issue"),
		en(praise, "Picked up my {p} yesterday, the team spent an hour adjusting everything. Top service 👌"),
		en(praise, "That paint job though 😍"),
		en(request, "Could you send me the geometry chart for the {p}? can't find it on the site",
			"Sure, it's at the bottom of the product page under \"Specs\", and here's the PDF too."),
		en(request, "Can I get a refund on the deposit if I cancel my pre-order?",
			"Yes, the deposit is fully refundable until the bike ships. Just reply to your order confirmation email."),
		en(feedback, "Please make a version with a belt drive! less maintenance for commuters"),
		en(feedback, "Would be great if the website showed the stock of each size"),
		fr(question, "C'est quoi le délai pour {lp} en ce moment ?",
			"Autour de 4 à 6 semaines selon la taille et la couleur. Le délai à jour est affiché sur chaque fiche produit."),
		fr(question, "On peut mettre un siège enfant sur {lp} ?",
			"Oui, sur le porte-bagages arrière (jusqu'à 27 kg) ou avec un adaptateur sur le tube de selle. On peut le monter à l'atelier."),
		fr(question, "La batterie est amovible ? je dois la monter au 4e sans ascenseur 😅",
			"Oui, elle se retire en quelques secondes avec la clé et pèse environ 2,8 kg."),
		fr(question, "Vous faites la reprise de l'ancien vélo ?",
			"Oui, on reprend votre ancien vélo en bon état, en bon d'achat. Passez à l'atelier pour une estimation."),
		fr(complaint, "Ma béquille a cassé net au bout de {n} semaines, pour un vélo à ce prix c'est moyen",
			"Désolés ! C'est sous garantie, passez à l'atelier ou envoyez-nous une photo, on vous renvoie une béquille renforcée."),
		fr(complaint, "Impossible de vous joindre par téléphone, ça sonne dans le vide",
			"Désolés, le samedi on est débordés à l'atelier. Le mail reste le plus rapide, on répond le jour même en semaine."),
		fr(complaint, "Vélo livré à {city} avec le dérailleur tordu et un rayon cassé 😤",
			"Désolés pour cette livraison ! Envoyez-nous des photos et le bon du transporteur, on vous envoie les pièces ou on prend en charge la réparation chez un atelier partenaire près de {city}."),
		fr(praise, "Mon {p} c'est juste le bonheur, je prends plus la voiture pour aller au boulot"),
		fr(praise, "Accueil au top à l'atelier, ils ont pris le temps de tout m'expliquer 👍"),
		fr(praise, "Trop beau 😍😍"),
		fr(request, "Vous pouvez m'envoyer le catalogue pro ? j'ai un magasin de cycles à {city}",
			"Avec plaisir, on vous l'envoie par mail. Notre responsable revendeurs vous appellera dans la semaine."),
		fr(request, "je voudrais prendre rdv pour la révision des 500 km svp",
			"Bien sûr ! La prise de rendez-vous se fait en ligne, rubrique Atelier, ou par mail. La révision des 500 km est offerte."),
		fr(feedback, "Il manque un vrai antivol intégré sur l'Urbain, c'est le premier truc que j'ai dû acheter"),
		fr(feedback, "Ce serait bien de proposer des ateliers pour apprendre à réparer soi-même"),
		en(spam, "Carbon wheels 80% off, genuine brands, free shipping 👉 http://carbon-deals.example"),
		fr(spam, "Vends VAE neuf 300€ cause déménagement, contactez moi sur WhatsApp uniquement"),
	}
}

func veloMails() []line {
	return []line{
		en(complaint, "I ordered a Gravel Col ({order}) {n} weeks ago and was told six weeks. The website still says \"in production\". Could you give me an actual delivery date please? I have a trip planned.",
			"I'm really sorry for the delay. Your bike is being assembled this week and will ship next Tuesday; you'll get the tracking link by email. As an apology, we've added a pair of bottle cages to your order.",
			"Thanks, that's great news. Fingers crossed for Tuesday!").about("Order {order} delayed again").by("jonas"),
		fr(complaint, "Mon vélo est arrivé hier, la roue arrière a un rayon cassé et le dérailleur est tordu. Le carton était abîmé sur un coin. Photos en pièce jointe. Je fais quoi ?",
			"Merci pour les photos et désolés pour cette livraison. On vous envoie dès aujourd'hui une roue arrière neuve et une patte de dérailleur, et on rembourse le réglage si vous le faites faire près de chez vous.").about("Rayon cassé à la livraison").by("claire"),
		fr(request, "Nous sommes une entreprise de 40 salariés à {city} et souhaitons mettre à disposition une flotte de 10 vélos électriques. Pourriez-vous nous faire un devis, avec l'entretien annuel ?",
			"Merci pour votre demande ! Notre responsable entreprises vous appellera cette semaine pour préciser vos besoins ; vous trouverez ci-joint notre offre flotte avec l'entretien sur site.").about("Devis flotte de vélos").by("isabelle"),
		en(question, "What exactly does the frame warranty cover? I bought a second-hand Randonneur 2, does the warranty transfer to me?",
			"The frame is guaranteed for life against manufacturing defects, and yes, it transfers to second owners. Just send us the frame number so we can register it to your name.").about("Frame warranty question").by("mike"),
		fr(request, "Bonjour, je voudrais prendre rendez-vous pour la révision de mon Urbain E-8 (acheté il y a un an). Je suis disponible les jeudis après 18h.",
			"C'est noté pour jeudi prochain à 18h30, pendant la nocturne. Comptez une heure environ.").about("Rendez-vous révision").by("antoine"),
		en(request, "I cancelled my pre-order {order} two weeks ago and haven't received my refund yet. Could you check?").about("Refund for cancelled order").by("anna"),
		fr(question, "Est-ce que vous fournissez une facture conforme pour la prime vélo de la Métropole ? Il faut le numéro de cadre dessus apparemment.",
			"Oui, nos factures indiquent le numéro de cadre et sont acceptées par la Métropole. Si vous avez besoin d'un duplicata, il suffit de nous le demander.").about("Facture pour la prime vélo").by("pym"),
		en(question, "Do you ship complete bikes to Germany, and do I need to assemble anything myself?",
			"Yes, we ship to Germany. The bike arrives 90% assembled: you only fit the handlebar and pedals, there's a short video to guide you.").about("Shipping to Germany").by("tom"),
		en(praise, "Just wanted to say thanks to Jules who fixed my wheel in 15 minutes on a Saturday evening while I was on my way to the train. You saved my weekend!",
			"Thanks a lot for this message, Jules is blushing 😄 Enjoy your rides!").about("Thank you!").by("sarah"),
		en(spam, "Hi team,\nI came across velo-atelier.example and noticed you could be getting much more organic traffic. We offer guest posts on high-authority cycling blogs from $49. Interested?").about("Guest post opportunity").by("spam-seo"),
	}
}

// ---------------------------------------------------------------------------
// Banque des Alpes

func banquePosts() []post {
	return []post{
		{
			channel: "blog", lang: "fr",
			title: "Arnaque au faux conseiller : les 5 réflexes à avoir",
			body:  "Un appel de votre « conseiller » ou du « service fraude » qui vous presse de valider une opération ? Ni votre agence ni nos services ne vous demanderont jamais vos codes, ni de valider un paiement au téléphone. Voici comment reconnaître ces arnaques et que faire si vous en êtes victime.",
			more:  3,
			talk: []line{
				fr(question, "J'ai reçu un SMS me demandant de valider un nouveau bénéficiaire que je n'ai jamais ajouté, c'est une arnaque ?",
					"Oui, c'est très probablement une tentative de fraude : ne cliquez sur aucun lien et n'appelez pas le numéro indiqué. Contactez votre agence, ou le numéro au dos de votre carte, pour vérifier vos opérations.",
					"Merci, j'ai supprimé le SMS et appelé l'agence"),
				fr(complaint, "On m'a débité 800€ après un faux appel soi-disant de votre service fraude, et l'agence me dit que c'est de ma faute ??",
					"Nous sommes vraiment désolés de ce qui vous arrive. Écrivez-nous par message privé avec vos coordonnées : notre service fraude réexaminera votre dossier et reviendra vers vous sous 48 h."),
				fr(praise, "Merci pour cet article, je l'ai partagé à mes parents qui se font appeler tout le temps"),
			},
		},
		{
			channel: "blog", lang: "fr", product: "l'appli Alpes Mobile",
			title: "Nouvelle appli Alpes Mobile : ce qui change",
			body:  "Virements instantanés, plafonds de carte modifiables en un geste, mode sombre et prise de rendez-vous : la version 5 de l'appli arrive cette semaine sur iOS et Android. Tour d'horizon des nouveautés.",
			more:  3,
			talk: []line{
				fr(complaint, "L'appli plante au lancement depuis la mise à jour, impossible de consulter mon compte !!",
					"Désolés pour ce problème. Une correction pour certains téléphones Android est en cours de publication. En attendant, désinstallez puis réinstallez l'appli : vos accès sont conservés.",
					"Réinstallée, ça marche. Merci"),
				fr(question, "On peut enfin faire des virements instantanés depuis l'appli ?",
					"Oui, les virements instantanés sont disponibles dès la version 5, sans frais."),
				fr(feedback, "Le mode sombre c'est bien mais remettez le solde sur l'écran d'accueil svp, faut 3 clics maintenant"),
				en(question, "Is the app available in English? my French is not great",
					"Yes: the app follows your phone's language, and English is supported since version 5. If it still shows French, go to Settings > Language in the app."),
			},
		},
		{
			channel: "blog", lang: "fr", product: "le prêt immobilier Horizon",
			title: "Prêt immobilier : nos taux du mois",
			body:  "Les taux se stabilisent : à partir de 3,45 % sur 20 ans pour les primo-accédants, selon votre profil. Simulation en ligne, rendez-vous en agence ou en visio avec nos conseillers immobiliers.",
			more:  3,
			talk: []line{
				fr(question, "Vous faites des prêts pour les primo accédants sans apport ?",
					"C'est possible selon votre situation (revenus, stabilité, projet). Le plus simple est d'en parler avec un conseiller : la première étude est gratuite et sans engagement."),
				fr(request, "Je souhaiterai un rendez vous pour une simulation de pret, agence d'Annecy si possible",
					"Avec plaisir : réservez un créneau dans l'appli ou sur notre site (rubrique Prendre rendez-vous), ou appelez l'agence d'Annecy. Un conseiller immobilier vous recevra sous une semaine.",
					"C'est fait pour mardi, merci"),
				fr(complaint, "Vos taux sont plus élevés que ceux de la concurrence, pas terrible pour une banque régionale"),
			},
		},
		{
			channel: "blog", lang: "fr", product: "le Livret Montagne",
			title: "Livret Montagne : épargner pour les projets du territoire",
			body:  "Avec le Livret Montagne, votre épargne finance des projets locaux : rénovation de refuges, commerces de village, transition des stations. Taux, plafond, et la liste des projets soutenus cette année.",
			more:  2,
			talk: []line{
				fr(feedback, "Ce serait bien de savoir concrètement quels projets sont financés avec notre argent, avec des montants",
					"Merci pour cette suggestion : un rapport annuel détaillé, projet par projet, sera publié sur le blog dès le mois prochain."),
				fr(question, "Le livret montagne est accessible aux non résidents ? je suis frontalier en Suisse",
					"Oui, il est ouvert aux frontaliers résidant en France comme en Suisse, à condition d'avoir un compte chez nous."),
			},
		},
		{
			channel: "facebook", lang: "fr",
			body: "📍 Votre agence de Chambéry déménage ! À partir du mois prochain, retrouvez-nous 12 avenue des Alpes, à deux pas de la gare. Mêmes conseillers, plus d'espace et un accès pour les personnes à mobilité réduite.",
			more: 3,
			talk: []line{
				fr(question, "Il y aura toujours un distributeur à l'ancienne adresse ?",
					"Oui, le distributeur de l'ancienne agence reste en service jusqu'à la fin de l'année."),
				fr(question, "horaires le samedi ?",
					"La nouvelle agence de Chambéry sera ouverte le samedi de 9 h à 12 h 30."),
			},
		},
		{
			channel: "facebook", lang: "fr",
			body: "🎿 Fiers d'être partenaires du ski-club de Chamrousse pour la troisième saison ! Bravo aux jeunes du club pour leurs podiums du week-end.",
			more: 3,
		},
		{
			channel: "facebook", lang: "fr", product: "la carte Sommet",
			body: "⚠️ Information : ce matin entre 8 h et 10 h, certains paiements par carte ont été refusés à cause d'un incident technique. Le problème est résolu. Nous vous prions de nous excuser pour la gêne occasionnée.",
			more: 5,
			talk: []line{
				fr(complaint, "Carte refusée à la boulangerie devant tout le monde, la honte",
					"Nous sommes désolés pour ce moment désagréable. L'incident est bien résolu, vos paiements fonctionnent de nouveau."),
				fr(complaint, "ma carte est toujours bloquée, c'est pas résolu du tout !!!",
					"Désolés ! Si votre carte est toujours refusée, écrivez-nous en message privé avec votre nom et votre agence : nous vérifions tout de suite.",
					"MP envoyé"),
				fr(spam, "Bonjour, je suis conseiller au service client de la Banque des Alpes. Pour régler votre problème de carte, envoyez-moi en message privé votre numéro de compte et le code reçu par SMS.").by("spam-fake-bank"),
				fr(question, "Est ce que les frais de rejet vont être remboursés ?",
					"Oui : aucun frais ne sera prélevé pour les paiements refusés ce matin, et ceux déjà prélevés seront remboursés automatiquement d'ici la fin de la semaine."),
			},
		},
		{
			channel: "facebook", lang: "fr",
			body: "Nous recrutons ! 20 postes de conseillers et conseillères clientèle en Haute-Savoie et en Savoie. Rencontrez nos équipes au forum emploi d'Annecy samedi prochain.",
			more: 2,
			talk: []line{
				fr(question, "Il faut quel diplôme ? j'ai un BTS commerce",
					"Un BTS Banque ou commerce convient tout à fait, et nous formons en interne. Venez nous rencontrer samedi, avec votre CV !"),
			},
		},
		{
			channel: "facebook", lang: "fr", product: "le compte Jeune Pousse",
			body: "🌱 Jeune Pousse, le compte des 12-17 ans : une carte à autorisation systématique, l'appli pour suivre son argent de poche, et zéro frais. Ouverture en agence avec un parent.",
			more: 3,
			talk: []line{
				fr(question, "À partir de quel âge on peut avoir la carte ?",
					"La carte est disponible dès 12 ans, avec des plafonds que vous fixez vous-même dans l'appli."),
			},
		},
	}
}

func banqueLines() []line {
	return []line{
		fr(question, "Vous êtes ouverts le samedi a {city} ?",
			"L'agence de {city} est ouverte le samedi matin, de 9 h à 12 h 30. Les horaires de chaque agence sont sur notre site, rubrique Agences."),
		fr(question, "C'est combien les frais pour un virement hors zone euro ? je dois envoyer de l'argent au Canada",
			"Un virement hors zone euro coûte 0,1 % du montant (minimum 15 €), plus d'éventuels frais de la banque du bénéficiaire. Le détail est dans notre brochure tarifaire."),
		fr(question, "comment on fait opposition sur une carte un dimanche ?",
			"Faites opposition directement dans l'appli (Cartes > Faire opposition), ou appelez le numéro d'opposition au dos de vos relevés, joignable 7 j/7 et 24 h/24."),
		fr(question, "Je pars au Canada 3 semaines, il faut prévenir la banque pour que ma carte marche la bas ?",
			"Ce n'est plus nécessaire, votre carte fonctionne à l'étranger. Pensez juste à vérifier vos plafonds dans l'appli avant de partir."),
		fr(question, "on peut déposer des chèques au distributeur de {city} ?",
			"Oui, le distributeur de l'agence de {city} accepte les dépôts de chèques, 7 j/7."),
		fr(question, "Pourquoi mon virement n'est toujours pas arrivé ? fait lundi",
			"Un virement classique met 1 jour ouvré, davantage s'il a été fait après 16 h ou vers une autre banque. Écrivez-nous en privé si rien n'est arrivé demain, nous le rechercherons."),
		fr(complaint, "Ca fait {n} jours que j'attends le déblocage de ma carte, aucun conseiller ne répond au téléphone",
			"Nous sommes désolés pour cette attente. Envoyez-nous votre nom et votre agence en message privé, nous faisons le nécessaire aujourd'hui.",
			"Merci, c'est débloqué !"),
		fr(complaint, "encore des frais de 8€ sur mon compte sans explication, j'en ai marre",
			"Nous comprenons votre agacement. Écrivez-nous en privé avec la date de l'opération : nous vous expliquerons ces frais et les rembourserons s'ils sont injustifiés."),
		fr(complaint, "L'appli me déconnecte toutes les 2 minutes, inutilisable",
			"Désolés ! Vérifiez que vous avez bien la dernière version (5.0.2), qui corrige ce problème de déconnexion."),
		fr(complaint, "Agence de {city} fermée à 15h un mardi sans prévenir, j'ai pris une demi journée pour rien !",
			"Nous sommes désolés, l'agence de {city} a fermé exceptionnellement à cause d'une panne informatique. Nous aurions dû le signaler : votre conseiller vous rappelle pour fixer un nouveau rendez-vous."),
		fr(complaint, "Le distributeur de {city} est encore en panne, ça fait la 3eme fois ce mois ci",
			"Merci de nous le signaler, le technicien intervient demain matin."),
		fr(praise, "Ma conseillère de l'agence de {city} est top, toujours à l'écoute 👍"),
		fr(praise, "Enfin une banque où on a un vrai humain au téléphone"),
		fr(praise, "Prêt accordé en 10 jours, merci à l'équipe de {city} !!"),
		fr(request, "je voudrais clôturer mon compte, quelle est la démarche ?",
			"Vous pouvez demander la clôture en agence, ou par courrier signé adressé à votre agence. Nous regrettons de vous voir partir : n'hésitez pas à nous dire ce qui n'a pas été."),
		fr(request, "Pouvez vous me rappeler svp, j'ai laissé 2 messages à l'agence et personne ne rappelle",
			"Désolés pour ce silence. Envoyez-nous votre numéro de téléphone en message privé, un conseiller vous rappelle dans la journée."),
		fr(request, "besoin d'une attestation de prêt pour ma déclaration, où je la trouve",
			"Elle est dans votre espace en ligne, rubrique Documents > Crédits. Vous pouvez aussi la demander à votre conseiller."),
		fr(feedback, "Il faudrait plus de distributeurs dans les stations l'hiver, à {city} il y a toujours la queue"),
		fr(feedback, "Ce serait bien de pouvoir prendre rdv le samedi après midi, quand on travaille c'est compliqué"),
		fr(feedback, "Vos publications sont sympas mais on aimerait surtout des réponses quand on écrit en MP..."),
		en(question, "Do you have advisors who speak English? I just moved to {city} for work",
			"Welcome! Yes, several advisors speak English, including at our {city} branch. Book an appointment online and choose \"English\" in the language field."),
		en(question, "How do I get my IBAN for my employer? can't find it in the app",
			"In the app, go to Accounts > your account > RIB/IBAN: you can share it as a PDF."),
		en(question, "Are there fees to use the card in Switzerland? I cross the border every day",
			"Card payments in Swiss francs cost 2% of the amount. With the Sommet card, the first four withdrawals abroad each month are free."),
		en(praise, "Opened my account by video call in English, super easy. Thanks!"),
		en(request, "Could someone call me back in English please? I don't understand the letter I received",
			"Of course. Send us your phone number in a private message and an English-speaking advisor will call you tomorrow."),
		en(complaint, "My card was declined twice today and I have money on the account. Very frustrating",
			"Sorry about this! Please send us a private message with your name and branch, we'll check your card right away."),
	}
}

func banqueMails() []line {
	return []line{
		fr(complaint, "Ma carte Sommet est bloquée depuis ce matin, j'ai tapé deux fois un mauvais code au péage et maintenant plus rien ne passe. Je suis en déplacement jusqu'à vendredi. Que dois-je faire ?",
			"Après trois codes erronés, la carte se bloque par sécurité ; elle se débloque automatiquement au prochain retrait avec le bon code dans un distributeur de notre réseau. Si vous n'en avez pas à proximité, répondez à ce mail : nous la débloquons à distance.",
			"Je suis loin de vos distributeurs, pouvez-vous la débloquer à distance svp ?").about("Carte bloquée").by("kevin"),
		fr(complaint, "L'appli Alpes Mobile se ferme dès que je veux faire un virement. J'ai un iPhone à jour. J'ai un loyer à payer demain.",
			"Désolés pour ce contretemps. Le problème concerne la dernière version sur iPhone, une correction est publiée ce soir. D'ici là, le virement est possible depuis notre site internet, avec la même validation.").about("Appli qui plante").by("emilie"),
		fr(question, "Je constate des frais de tenue de compte de 2,50 € par mois depuis trois mois. Je n'en avais jamais eu. Pourquoi ?",
			"Ces frais s'appliquent aux comptes sans carte active depuis la nouvelle grille tarifaire, annoncée sur vos relevés deux mois avant. Votre compte étant votre compte principal, votre conseiller peut passer à l'offre Essentielle, sans frais : répondez-nous pour qu'il vous appelle.").about("Frais de tenue de compte").by("jean-marc"),
		fr(question, "Quels sont les horaires de l'agence de {city} pendant les vacances scolaires ?",
			"L'agence de {city} garde ses horaires habituels pendant les vacances, sauf le samedi où elle ferme à 12 h.").about("Horaires pendant les vacances").by("francoise"),
		fr(request, "Je souhaiterais un rendez-vous avec un conseiller pour préparer la retraite. Je suis disponible les mardis et jeudis matin.",
			"Votre rendez-vous est fixé jeudi à 10 h avec Mme Favre, à l'agence de {city}. Pensez à apporter vos trois derniers relevés de situation.").about("Rendez-vous retraite").by("jean-marc"),
		fr(request, "On m'a prélevé deux fois la même échéance de prêt ce mois-ci. Merci de me rembourser le doublon au plus vite.").about("Double prélèvement").by("patrick"),
		fr(complaint, "J'ai perdu ma carte hier soir à {city}, j'ai fait opposition dans l'appli. Combien de temps pour recevoir la nouvelle ? J'ai des achats à faire…",
			"Votre nouvelle carte a été commandée ce matin : comptez 5 jours ouvrés. En attendant, vous pouvez retirer au guichet de votre agence avec une pièce d'identité.").about("Carte perdue").by("sandrine"),
		fr(request, "Pouvez-vous m'envoyer un RIB ? Je ne le trouve pas dans l'appli.",
			"Le RIB est disponible dans l'appli, rubrique Comptes > votre compte > RIB. Je vous l'envoie aussi en pièce jointe.").about("RIB").by("loic"),
		en(question, "I'm a British citizen moving to {city} next month for a job. Can I open an account before I have a French address? What documents do I need?",
			"Yes, you can start before moving: we need your passport, your employment contract and, once you have it, a proof of address in France. An English-speaking advisor can open the account by video call.").about("Opening an account").by("emily"),
		fr(complaint, "Je suis très mécontente : 45 minutes d'attente au téléphone hier, et on m'a raccroché au nez. Je suis cliente depuis 30 ans.").about("Réclamation accueil téléphonique").by("francoise"),
		fr(question, "Je change d'adresse, est-ce que je peux le faire en ligne ou il faut passer en agence ?",
			"Vous pouvez le faire en ligne : Profil > Mes coordonnées, avec un justificatif de domicile.").about("Changement d'adresse").by("ines"),
		en(spam, "Congratulations! Your e-mail address has been selected to receive a €5,000 grant. To claim it, send your full name and bank details to our agent.").about("You have been selected").by("spam-gifts"),
	}
}

// ---------------------------------------------------------------------------
// Shared by every brand

// commonLines returns short reactions and spam that appear on any brand's
// public channels.
func commonLines() []line {
	return []line{
		fr(reaction, "{friend} regarde ça 😍").on(kindInstagram),
		fr(reaction, "{friend} on se le fait ?").on(kindInstagram),
		fr(reaction, "{friend} {friend2} 🤞🤞").on(kindInstagram),
		fr(reaction, "{friend} {friend2} on tente notre chance !").on(kindInstagram),
		fr(reaction, "Je participe !! {friend} {friend2}").on(kindInstagram),
		fr(reaction, "trop bien !!!"),
		fr(reaction, "J'adore ❤️"),
		fr(reaction, "Magnifique 👏"),
		fr(reaction, "😍😍😍"),
		fr(reaction, "Wow !"),
		fr(reaction, "Mdr trop vrai"),
		fr(reaction, "Bravo à toute l'équipe"),
		en(reaction, "{friend} look at this!!").on(kindInstagram),
		en(reaction, "{friend} {friend2} 🙏🙏").on(kindInstagram),
		en(reaction, "{friend} we need this").on(kindInstagram),
		en(reaction, "Love this 🔥"),
		en(reaction, "Stunning 😍"),
		en(reaction, "so cool!!"),
		en(reaction, "❤️❤️"),
		fr(spam, "Je remercie M. Laurent Dubois qui m'a aidée à gagner 8 500€ en 3 semaines grâce au trading 🙏 contactez-le sur WhatsApp, il est honnête et fiable !!").by("spam-crypto"),
		fr(spam, "💰 Revenus passifs garantis, 500€ par jour sans rien faire, lien dans ma bio 💰").by("spam-invest"),
		fr(spam, "Votre colis n'a pas pu être livré. Confirmez vos coordonnées ici : http://suivi-colis-express.example/fr").by("spam-gifts"),
		fr(spam, "Gagnez un iPhone en cliquant ici 👉 http://cadeau-gratuit.example 🎁🎁").by("spam-gifts"),
		en(spam, "Check my profile 🔥🔥 free followers and likes!!").by("spam-followers"),
		en(spam, "Nice feed! Send us a DM to become a brand ambassador 💎 link in bio").on(kindInstagram).by("spam-ambassador"),
		en(spam, "Ray-Ban sunglasses only $19.99 today, visit http://rb-outlet.example").by("spam-glasses"),
		en(spam, "I made $12,000 in one month with Bitcoin thanks to @laurent.invest.pro 🙏 message him now").by("spam-crypto"),
		en(spam, "Promote it on @starboost_page 🚀").on(kindInstagram).by("spam-followers"),
	}
}

// peerLines returns what a member writes under someone else's comment; the
// intent is that of the comment answered.
func peerLines() []line {
	return []line{
		fr(question, "Je me pose la même question !"),
		fr(question, "+1, ça m'intéresse aussi"),
		fr(question, "pareil, je veux savoir aussi"),
		fr(question, "Ils répondent par mail en général, moi j'ai eu ma réponse en une journée"),
		fr(complaint, "Pareil pour moi, c'est pénible 😤"),
		fr(complaint, "Même souci ici depuis {n} jours..."),
		fr(complaint, "Ah mince, moi ça s'était très bien passé, j'espère que ça va s'arranger"),
		fr(complaint, "Vous n'êtes pas seule, j'ai eu exactement le même problème"),
		fr(praise, "Complètement d'accord !!"),
		fr(praise, "Tellement 😍"),
		fr(praise, "Pareil, je ne peux plus m'en passer"),
		fr(feedback, "Oui bonne idée ça !"),
		fr(feedback, "+1000"),
		fr(request, "J'attends aussi un retour sur ça"),
		fr(spam, "Signalé. Arrêtez avec ces arnaques svp"),
		en(question, "Same question here!"),
		en(question, "Following, I'd like to know too"),
		en(complaint, "Same issue for me 😕"),
		en(complaint, "Had the same problem, they sorted it out quickly by email"),
		en(praise, "Totally agree!!"),
		en(feedback, "+1, great idea"),
		en(spam, "Spam, don't click that link"),
	}
}

// followLines returns what a member says after the brand answered.
func followLines() []line {
	return []line{
		fr(praise, "Merci pour la réponse rapide !"),
		fr(praise, "Super, merci 🙏"),
		fr(praise, "ok merci je vais faire ça"),
		fr(praise, "Parfait merci beaucoup"),
		fr(praise, "Merci, c'est gentil de prendre le temps de répondre"),
		en(praise, "Thanks a lot!"),
		en(praise, "Great, thank you 🙏"),
		en(praise, "Perfect, thanks for the quick answer"),
	}
}

// nudgeLines returns what a member writes when nobody has answered yet.
func nudgeLines() []line {
	return []line{
		fr(complaint, "Toujours pas de réponse... 😒"),
		fr(complaint, "Bonjour ? quelqu'un lit les commentaires ici ?"),
		fr(complaint, "Je relance, c'est urgent svp"),
		fr(complaint, "Je me permets de vous relancer, je n'ai toujours pas de réponse à mon message précédent.").on(kindEmail),
		fr(complaint, "Relance : pouvez-vous me répondre rapidement svp ? Merci.").on(kindEmail),
		en(complaint, "Any update on this?"),
		en(complaint, "Still waiting for an answer…"),
		en(complaint, "Following up on my previous email, could someone get back to me please?").on(kindEmail),
	}
}

// thanksLines returns the brand's generic answers to praise and suggestions.
func thanksLines() []line {
	return []line{
		fr(praise, "Merci beaucoup, ça nous fait très plaisir !"),
		fr(praise, "Merci pour ce gentil message, toute l'équipe est ravie."),
		fr(praise, "Merci, ça nous touche énormément !"),
		fr(feedback, "Merci pour l'idée, nous la transmettons à l'équipe produit."),
		fr(feedback, "Bonne suggestion, c'est noté ! On en parle en réunion produit la semaine prochaine."),
		en(praise, "Thank you so much, this made our day!"),
		en(praise, "Thanks a lot, the whole team says hi!"),
		en(feedback, "Thanks for the idea, we're passing it on to the product team."),
	}
}

// friends returns handles members tag under giveaways and pictures.
func friends() []string {
	return []string{
		"@julie_mrt", "@alex.dvl", "@ma.soeur.lili", "@tinou_88", "@lea.ptitpois",
		"@marco_rides", "@sam.jpg", "@clara_bzh", "@nico.lyon", "@ju.andre",
	}
}
