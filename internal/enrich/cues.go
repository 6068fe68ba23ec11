package enrich

// Cue bits: word classes that hint at what a message wants. They are
// features, not rules: the trained model decides how much each weighs for
// each field, per language.
const (
	cueQuestion  uint16 = 1 << iota // an interrogative word
	cueAux                          // opens a question when it comes first
	cueRequest                      // asks someone to act
	cueComplaint                    // words of a problem report
	cuePraise                       // thanks and compliments
	cueFeedback                     // suggestions and wishes
	cueYou                          // addresses the reader
	cueMe                           // speaks of oneself
	cueSpam                         // self-promotion and scams
	cueHedge                        // "je me demande", "I wonder"
	numCues      = iota
)

// cueWords are palabre's own lists, folded (no accents, lower case).
var cueWords = [...]struct {
	bits  uint16
	words string
}{
	{cueQuestion, "comment pourquoi pq pk quand quel quelle quels quelles combien lequel laquelle lesquels " +
		"how why when where what whats which who whom whose anyone anybody quelqu quelquun qqn"},
	{cueAux, "est pouvez pourriez peut peux pourrais pourrait savez sais saviez avez as aurez auriez etes es " +
		"faut existe ya serait sera vais va allez dois doit devrais " +
		"can could would will do does did is are was were should have has any shall may might"},
	{cueRequest, "svp stp please pls plz plse veuillez merci contactez contacter rappeler rappelez " +
		"envoyez envoyer envoie dm mp annuler annulez rembourser remboursez rembourse refund cancel fix " +
		"send call contact help aide aidez aider resoudre resolvez debloquer debloquez supprimer supprimez " +
		"modifier modifiez changer changez corriger corrigez verifier verifiez repondre repondez reply respond " +
		"check unlock delete update resend need besoin voudrais aimerais want"},
	{cueComplaint, "toujours still encore again jamais never personne nobody attente attends attendre wait waiting waited " +
		"semaines semaine weeks week jours days mois months heures hours commande commandes order ordered colis package parcel " +
		"livraison livre delivery delivered remboursement refund debite debit charged facture factures bill billing " +
		"bug bugs bugue plante plant crash crashes crashed erreur error panne pannes outage coupure coupe coupee " +
		"scandale inadmissible honte inacceptable unacceptable ridicule ridiculous arnaque scam escroquerie fraud " +
		"probleme problemes problem problems souci soucis issue issues impossible unable cant cannot marche fonctionne " +
		"works working broken casse cassee abime damaged manquant missing perdu lost retard late delayed"},
	{cuePraise, "merci thanks thank thx ty bravo congrats congratulations felicitations love adore adorons genial " +
		"super top recommande recommend parfait perfect great amazing awesome excellent magnifique sublime " +
		"incroyable bravissimo chapeau kiffe loved loving best meilleur"},
	{cueFeedback, "suggestion suggestions suggest suggere idee idees idea ideas serait would aurait devriez devrait should " +
		"mieux better prefere preferais prefer wish souhaiterais souhaite ajouter ajoutez add option options " +
		"feature features fonctionnalite fonctionnalites dommage shame pity perso personnellement personally " +
		"trouve think pense avis opinion feel seems semble"},
	{cueYou, "vous tu toi te t vos votre ton ta tes you your yours u ur yall"},
	{cueMe, "je j moi me m mon ma mes i my me mine im ive id"},
	{cueSpam, "subscribe subscribers subscribed sub channel channels chaine abonnez abonne abonnes check visit visitez " +
		"site website free gratuit gratuite win gagnez gagner gagne money argent earn cash click cliquez clic " +
		"follow followers promo offer offre crypto bitcoin investment investir casino loan loans pret viagra " +
		"likes views profile mixtape download telecharger telechargez giveaway cadeau concours http www com"},
	{cueHedge, "demande demandais demandait wonder wondering wondered curious savoir know knows idea idee"},
}

func buildCues() map[string]uint16 {
	cues := map[string]uint16{}
	for _, c := range cueWords {
		start := -1
		for i := 0; i <= len(c.words); i++ {
			if i == len(c.words) || c.words[i] == ' ' {
				if start >= 0 {
					cues[c.words[start:i]] |= c.bits
				}
				start = -1
			} else if start < 0 {
				start = i
			}
		}
	}
	return cues
}
