package insights

import "strings"

// stopwords are the words insights leave out, folded: the function words
// of French and English, greetings and thanks, and words every message of
// a community says (which say nothing of what it is about).
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		les des une aux est sont ete etre avoir avait avez avons ont sera serait fait faire
		pour par sur dans avec sans sous chez entre vers depuis pendant avant apres contre
		que qui quoi dont quel quelle quels quelles lequel laquelle comment pourquoi quand combien
		mais donc car puis ensuite alors aussi encore deja toujours jamais rien tout tous toute toutes
		cette ces cet mon ton son mes tes ses notre votre leur nos vos leurs moi toi lui elle elles eux
		nous vous ils pas plus moins tres trop peu bien mal meme autre autres chaque quelque quelques
		cela ceci celui celle ceux celles ici oui non peut peux pourrait dois doit devez
		suis es sommes etes etait etaient ai as avais vais vas allez va ya
		bonjour bonsoir salut merci mercis cordialement madame monsieur svp stp
		the and for are was were been being have has had having does did doing done
		with without from into onto about above below over under again further then once
		that this these those what which who whom whose when where why how all any both each few
		more most other some such only own same than too very can will just should would could
		not nor but yet our ours your yours their theirs his her hers its they them she him you
		there here out off also still even ever never much many lot lots really thing things
		hello thanks thank please regards dear cheers
	`) {
		m[w] = true
	}
	return m
}()
