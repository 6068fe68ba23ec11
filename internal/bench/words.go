package bench

// The word lists the generator builds bodies, titles and names from. They
// are constants (split into slices when a generator is made) so that the
// package holds no mutable state. Bodies are word salad, but French- and
// English-looking word salad: accents, apostrophes, short and long words,
// so that text handling and index sizes behave as with real comments.

const frenchWords = `le la les un une des du de et mais donc car ou ni que qui
quoi dont où ce cette ces mon ma mes ton ta tes son sa ses notre votre leur
nous vous ils elles on je tu il elle pas plus très trop assez bien mal
vraiment toujours jamais souvent parfois encore déjà aussi même tout tous
toute rien personne chose article produit commande livraison service client
clients équipe question réponse problème solution idée avis conseil merci
bonjour salut cordialement magasin boutique site application compte mot
passe colis retard remboursement échange garantie qualité prix promotion
offre abonnement facture paiement carte semaine mois année jour hier
aujourd'hui demain matin soir week-end nouveau nouvelle ancien ancienne
premier première dernier dernière petit petite grand grande beau belle bon
bonne mauvais mauvaise rapide lent simple compliqué pratique agréable
décevant génial super excellent parfait étonnant heureux déçu content
satisfait inquiet curieux pourquoi comment quand combien depuis pendant
avant après chez sans avec pour sur sous entre vers contre selon malgré
grâce ai as a avons avez ont suis es est sommes êtes sont fait faire dit
dire vu voir pu pouvoir voulu vouloir reçu recevoir attendu attendre essayé
essayer trouvé trouver acheté acheter commandé commander contacté contacter
appelé appeler écrit écrire lu lire aimé aimer adoré adorer pensé penser
cherché chercher utilisé utiliser changé changer recommandé recommander
fonctionne marche marché répond répondu espère espérer sais savoir crois
croire vrai faux possible impossible nécessaire important intéressant utile
inutile recette cuisine jardin vélo voyage train hôtel musique concert film
livre école enfant enfants famille ami amie voisin quartier ville région
été hiver printemps automne soleil pluie neige chocolat café thé pain
fromage vin eau couleur taille modèle version mise à jour écran batterie
chargeur téléphone ordinateur imprimante logiciel navigateur message forum
communauté blog commentaire lien photo vidéo page`

const englishWords = `the a an and but or so because if then than that this
these those my your his her its our their we you they it he she one not no
very too quite really always never often sometimes still already also even
all every nothing something someone thing article product order delivery
shipping service customer customers team question answer problem solution
idea review advice thanks thank hello hi regards store shop website app
account password parcel delay refund exchange warranty quality price sale
offer subscription invoice payment card week month year day yesterday today
tomorrow morning evening weekend new old first last little small big great
nice good bad fast slow simple complicated handy pleasant disappointing
awesome excellent perfect surprising happy sad glad satisfied worried
curious why how when where which who what since during before after at
without with for on under between towards against about have has had am is
are was were be been do does did done say said see seen saw can could will
would should want wanted got get received receive waited wait tried try
found find bought buy ordered order contacted contact called call wrote
write read loved love thought think looked look used use changed change
recommend recommended works worked working answered hope know believe true
false possible impossible necessary important interesting useful useless
recipe kitchen garden bike trip train hotel music concert movie book school
kid kids family friend neighbour town city region summer winter spring
autumn sun rain snow chocolate coffee tea bread cheese wine water colour
size model version update screen battery charger phone computer printer
software browser message forum community blog comment link photo video page
support issue feature release bug fix helpful quick slowly finally honestly
actually definitely probably maybe`

// Sentence openers, one per line, used at the start of some bodies.
const frenchOpeners = `Bonjour,
Merci pour cet article.
Bonsoir à tous,
Salut l'équipe !
Je me permets de réagir.
Petite question :
Bravo pour le travail.
Je ne suis pas d'accord.
Même problème ici.
Quelqu'un peut m'aider ?`

const englishOpeners = `Hello,
Thanks for the post.
Hi everyone,
Quick question:
Great article!
I have to disagree.
Same issue here.
Can anyone help?
Just my two cents.
Love this.`

// Given names, family names and towns of synthetic authors.

const givenNames = `Marie Jean Pierre Claire Sophie Nicolas Julien Camille Léa Lucas Hugo
Emma Chloé Thomas Antoine Manon Sarah Louis Alice Paul Inès Arthur Jules
Louise Gabriel Raphaël Zoé Nathan Clara Théo Juliette Maxime Lucie Romain
Mathilde Baptiste Margaux Adrien Élodie Quentin Pauline Benoît Céline Cédric
Hélène Jérôme Isabelle François Nathalie Olivier Sandrine Philippe Valérie
Laurent Sylvie Stéphane Christine Éric Catherine Frédéric Anne Patrick
Martine Christophe Sébastien Aurélie Vincent Émilie Guillaume Agathe Damien
Océane Yann Maëlle Loïc Gaëlle Mathieu Noémie Florian Justine Kévin Anaïs
Jean-Marc Marie-Claire Jean-Pierre Anne-Sophie Paul-Henri Marie-Laure John
Emily James Olivia Michael Jessica David Hannah Daniel Rachel Matthew Laura
Andrew Megan Ryan Rebecca Kevin Amy Mark Lauren Steven Katie Brian Grace
Aisha Omar Yasmine Karim Leïla Mehdi Fatou Moussa Nadia Samir Ines Youssef`

const familyNames = `Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau
Simon Laurent Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier
Morel Girard André Lefebvre Mercier Dupont Lambert Bonnet François Martinez
Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas
Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin
Masson Sanchez Gérard Nguyen Boyer Denis Lemaire Duval Joly Gautier Roger
Roche Roy Noël Meyer Lucas Meunier Jean Perez Marchand Dufour Blanchard
Marie Barbier Brun Dumas Brunet Schmitt Leroux Colin Fernandez Pierre
Renard Arnaud Rolland Caron Aubert Giraud Leclerc Vidal Bourgeois Renaud
Lemoine Picard Gaillard Philippe Leclercq Lacroix Fabre Dupuis Olivier
Rodriguez Da_Silva Hubert Louis Charles Guillot Rivière Le_Gall Guillaume
Adam Rey Moulin Gonzalez Berger Lecomte Ménard Fleury Deschamps Carpentier
Julien Benoît Paris Maillard Marchal Aubry Vasseur Le_Roux Renault Jacquet
Collet Prévost Poirier Charpentier Royer Huet Baron Dupuy Pons Paul Laine
Carré Breton Rémy Schneider Perrot Guyot Barre Marty Cousin Smith Johnson
Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson White
Harris Clark Lewis Walker Hall Young King Wright Scott Green Baker Nelson`

const towns = `Paris Lyon Marseille Toulouse Nice Nantes Strasbourg Montpellier
Bordeaux Lille Rennes Reims Toulon Grenoble Dijon Angers Nîmes Brest Tours
Limoges Amiens Metz Besançon Perpignan Orléans Rouen Caen Nancy Bruxelles
Genève Montréal Québec Lausanne Liège Namur`

// Mail domains of synthetic authors: reserved example domains only.
const mailDomains = `example.com example.org example.net mail.example.com
courriel.example.org post.example.net`
