# Les pages d'Upturn en français. Chaque phrase lue sur une page vit ici et
# dans ../en/main.ftl, avec les mêmes clés.

## Cadre
skip-to-content = Aller au contenu
nav-label = Principal
nav-file = Saisir une demande
nav-team-requests = Demandes de l'équipe
nav-board = Tableau
nav-inbox = Nouvelles
nav-dashboard = Tableau de bord
nav-org = Organisation
unread-count = { $count ->
    [one] { $count } nouvelle non lue
   *[other] { $count } nouvelles non lues
}
unread = non lu
sign-in = Se connecter
sign-out = Se déconnecter
back-home = Retour à mon accueil

## Connexion
sign-in-title = Bienvenue dans Upturn
sign-in-lead = Les clients d'abord : ce qu'ils demandent descend la pyramide, et la réponse remonte jusqu'à vous.
demo-title = Comptes de démonstration
demo-lead = Le mot de passe de tous les comptes de démonstration est { $password }. Choisissez-en un pour vous connecter.

## Valeurs
role-frontline = Première ligne
role-manager = Manager
role-service = Service
role-leader = Direction
role-admin = Administrateur
status-new = Nouvelle
status-acknowledged = Prise en compte
status-in_progress = En cours
status-resolved = Résolue
status-declined = Refusée
status-closed = Clôturée
level-frontline = la première ligne
level-manager = les managers
level-service = les services
level-leadership = la direction
at-level = Chez { $level }
kind-need = Une demande
kind-need-hint = Le client a demandé quelque chose.
kind-improvement = Une amélioration
kind-improvement-hint = Quelque chose que nous pourrions mieux faire.
kind-unmet_need = Besoin non satisfait
kind-unmet_need-hint = Il n'a rien dit mais il est reparti sans ce qu'il était venu chercher.
kind-idea = Une idée
kind-idea-hint = Une suggestion du client.
kind-praise = Un compliment
kind-praise-hint = Quelque chose que le client a aimé.
urgency-low = Faible
urgency-normal = Normale
urgency-high = Haute
urgency-critical = Critique
channel-in_person = En magasin
channel-phone = Téléphone
channel-email = E-mail
channel-web = Site web
channel-social = Réseaux sociaux
category-product = Produit
category-service = Service
category-price = Prix
category-availability = Disponibilité
category-staff = Personnel
category-premises = Locaux
category-other = Autre
initiative-planned = Prévue
initiative-in_progress = En cours
initiative-done = Réalisée
initiative-dropped = Abandonnée

## Événements
event-filed = Saisie
event-acknowledged = Prise en compte
event-routed = Transmise vers le bas
event-escalated = Escaladée
event-status_changed = Statut changé
event-comment = Commentaire
event-resolved = Résolue
event-declined = Refusée, avec une explication
event-follow_up_recorded = Client recontacté
event-reopened = Rouverte pour le client
event-sla_breached = Un délai est dépassé
event-initiative_linked = Rattachée à une initiative
event-initiative_progress = Avancement de l'initiative
event-initiative_dropped = Initiative abandonnée
event-customer_data_erased = Données du client effacées
event-routed-to = Transmise vers { $level }
event-status-to = Désormais : { $status }

## Saisie
intake-title = Saisir une demande
intake-expectation-hint = Avec les mots du client : qu'espérait-il ?
intake-title-hint = Laissé vide, la première ligne de ce qu'attend le client est reprise.
intake-more = Détails et coordonnées du client
intake-submit = Enregistrer
knowledge-title = Comment cela a été résolu avant
knowledge-use = Reprendre comme ce que j'ai fait
knowledge-solved-by = Résolue par { $unit }
knowledge-solved-frontline = Résolue par la première ligne
knowledge-solved = Résolue
knowledge-similar = { $count } demandes semblables
required = (obligatoire)
optional = (facultatif)
choose = Choisir…
outbox-waiting = En attente d'envoi (pas encore de réseau) :
outbox-sent = Envoyée. Ouvrir le reçu :
outbox-offline = Pas de réseau : votre demande est gardée sur cet appareil et partira dès le retour du réseau.
outbox-sign-in = Reconnectez-vous pour envoyer ce qui attend ; rien n'est perdu sur cet appareil.

## Champs
field-customer_expectation = Ce qu'attend le client
field-kind = De quoi s'agit-il ?
field-category = Catégorie
field-urgency = Urgence
field-channel = Canal
field-title = Titre court
field-description = Description
field-customer-name = Nom du client
field-customer-contact = Téléphone ou e-mail du client
field-customer-customer-name = Nom du client
field-customer-customer-contact = Téléphone ou e-mail du client
field-consent = Le client accepte d'être recontacté
field-on-the-spot = Je l'ai résolue sur place
field-on-the-spot-note = Ce que j'ai fait (nécessaire si résolue sur place)
field-resolved_on_the_spot-note = Ce que j'ai fait
field-email = E-mail
field-password = Mot de passe
field-note = Note
field-body = Commentaire
field-status = Statut
field-reached = Avez-vous pu joindre le client ?
field-satisfaction = Satisfaction du client (de 1 à 5)
field-would_recommend = Nous recommanderait-il ? (de 0 à 10)
field-reopen = Pas satisfait : rouvrir la demande
field-internal = Interne (personnel uniquement)
field-to_unit_id = Unité
field-form = Formulaire
field-lang = Langue

## Reçu et demande
receipt-title = Enregistrée. Merci !
receipt-give-code = Donnez ce code de suivi au client, ou faites-lui scanner le QR code :
receipt-no-code = Pas de code de suivi : le client n'a pas accepté d'être recontacté.
receipt-qr-label = QR code de la page de suivi du client
receipt-show-code = Code de suivi et QR code
receipt-file-another = Saisir une autre demande
filed = Saisie
consent-given = accepte d'être recontacté
deadline-acknowledge = À prendre en compte avant le
deadline-resolve = À résoudre avant le
deadline-short-acknowledge = Prise en compte avant le
deadline-short-resolve = Résolution avant le
overdue = En retard
resolution-note = Réponse
actions = Actions
do-acknowledge = Prendre en compte
do-start = Commencer à la traiter
answer-note = Réponse (ce qui a été fait, ou pourquoi pas)
do-resolve = Résoudre
do-decline = Refuser avec cette explication
route-to = Transmettre vers
route-by-rules = Selon les règles d'aiguillage
route-note = Pourquoi elle descend
do-route = Transmettre
follow-up-title = Retour du client
yes = Oui
no = Non
not-asked = Pas demandé
do-follow-up = Enregistrer le retour
do-watch = Suivre cette demande
do-unwatch = Ne plus suivre
do-erase-customer = Effacer les données personnelles du client
erase-customer-explain = Son nom et ses coordonnées sont effacés définitivement. La demande, ses chiffres et son historique restent, et le client peut toujours la suivre avec son code de suivi.
do-erase-customer-confirm = Effacer le nom et les coordonnées maintenant
timeline = Historique
comment = Ajouter un commentaire
do-comment = Commenter
internal = interne

## Tableau
filters = Filtres
filter-text = Mots
filter-open-and-answered = Ouvertes et répondues
filter-all = Toutes
filter-apply = Appliquer
filter-clear = Effacer les filtres
overdue-only = En retard seulement
column-empty = Rien ici.
call-back-title = { $count ->
    [one] À rappeler : { $count } réponse est remontée
   *[other] À rappeler : { $count } réponses sont remontées
}

## Nouvelles
live-update = Une demande que vous suivez a du nouveau : cette page est à jour.
live-busy = Du nouveau est arrivé pendant votre saisie : rechargez la page une fois terminé.
inbox-empty = Rien pour l'instant : les nouvelles des demandes que vous avez saisies, traitez ou suivez arrivent ici, en direct.
inbox-read-all = Tout marquer comme lu

## Tableau de bord
period = Période
period-days = { $count ->
    [one] Dernier jour
   *[other] { $count } derniers jours
}
unit = Unité
whole-organisation = Toute l'organisation
m-frontline-share = Résolues en première ligne
m-frontline-share-def = Demandes résolues par la première ligne elle-même, parmi toutes les résolues.
m-volume = Demandes saisies
dashboard-as-of = Chiffres arrêtés au :
dashboard-days-kept = Une période compte des jours entiers (UTC) jusqu'à aujourd'hui ; les chiffres sont recalculés après une minute.
m-volume-def = Saisies sur la période.
m-backlog = Ouvertes
m-backlog-age = Âge médian { $age }
m-ack = Délai de prise en compte
m-resolve = Délai de résolution
m-p90 = 9 sur 10 en moins de { $value }
m-sla = Délais tenus
m-sla-def = Demandes dont tous les délais ont été tenus, parmi celles tranchées.
m-satisfaction = Satisfaction (1–5)
m-satisfaction-def = { $share } ont répondu 4 ou 5.
m-nps = Net promoter score
m-nps-def = { $count ->
    [one] Sur { $count } réponse.
   *[other] Sur { $count } réponses.
}
m-follow-up = Clients recontactés
m-follow-up-def = Demandes résolues dont le client a été joint.
m-reopen = Rouvertes
m-declined = Refusées : { $share }
m-silent = Insatisfaction silencieuse
m-silent-def = { $expressed } exprimées × { $multiplier } : une règle empirique, car seul un client insatisfait sur dix environ le dit.
estimate = estimation
m-trend = Semaine après semaine
m-trend-volume = Demandes saisies par semaine
m-trend-share = Résolues en première ligne par semaine
m-by-unit = Par unité
m-by-category = Par catégorie
m-pulse = Baromètre de l'équipe, semaine { $period }, à côté des résultats clients
m-pulse-def = Moyennes de 1 à 5. Les réponses d'une unité ne sont montrées que si au moins { $count } personnes ont répondu, et jamais d'une façon qui permettrait de retrouver une réponse.
m-pulse-answers = Réponses
m-pulse-happiness = Heureux au travail
m-pulse-pleasure = Plaisir au travail
m-pulse-engagement = Impliqués
m-pulse-hidden = Masqué : moins de { $count } réponses, ou le montrer révélerait un petit groupe.

## Page de suivi (clients)
track-code = Code de suivi { $code }
track-progress = Avancement
track-headline-new = Nous avons bien reçu votre demande
track-headline-acknowledged = Votre demande est prise en compte
track-headline-in_progress = Nous travaillons sur votre demande
track-headline-resolved = Votre demande a une réponse
track-headline-declined = Votre demande a une réponse
track-headline-closed = Votre demande est terminée
track-explain-new = L'équipe l'a reçue et va s'en occuper rapidement.
track-explain-acknowledged = Quelqu'un l'a prise en main.
track-explain-in_progress = Les personnes qui peuvent y répondre s'en occupent.
track-explain-resolved = Voyez la réponse ci-dessous. Nous revenons vers vous.
track-explain-declined = Voyez l'explication ci-dessous. Nous revenons vers vous.
track-explain-closed = Merci de nous aider à nous améliorer.
track-step-1 = Reçue
track-step-2 = Prise en main
track-step-3 = Répondue
track-step-4 = Terminée
track-answer = Notre réponse
track-initiative = Fait partie d'une amélioration plus large
track-history = Historique
track-updated = Dernière mise à jour : { $when }

## Erreurs, en mots (une par code de l'API)
error-malformed_json = Le formulaire n'a pas pu être lu.
error-validation_failed = Certains champs sont à revoir.
error-check-fields = Vérifiez :
error-unauthenticated = Veuillez vous connecter.
error-invalid_credentials = E-mail inconnu ou mot de passe erroné.
error-forbidden = Cette action ne vous revient pas, ou le formulaire a expiré : rechargez la page.
error-not_found = Il n'y a rien ici, ou ce n'est pas à vous de le voir.
error-email_taken = Cet e-mail est déjà utilisé par un autre membre.
error-already_answered = Vous avez déjà répondu cette semaine.
error-version_conflict = Quelqu'un l'a modifié entre-temps : la page montre maintenant la dernière version.
error-precondition_failed = Quelqu'un l'a modifié entre-temps : la page montre maintenant la dernière version.
error-invalid_transition = Cette étape n'est pas possible à ce stade.
error-no_matching_rule = Aucune règle d'aiguillage ne correspond : choisissez une unité.
error-idempotency_key_reused = Ceci a déjà été envoyé avec un autre contenu.
error-payload_too_large = C'est trop long pour être envoyé.
error-unsupported_media_type = Le formulaire n'a pas pu être lu.
error-rate_limited = Trop de tentatives : attendez une minute et réessayez.
error-unavailable = Upturn démarre ou s'arrête : réessayez dans un instant.
error-internal = Un problème est survenu de notre côté. Il a été consigné.
error-last_admin = Il doit rester au moins un administrateur actif.
error-method_not_allowed = Cela ne peut pas se faire ici.
error-status = Erreur { $status }

## Dates et nombres
datetime = { $day } { $month } { $year }, { $time }
date = { $day } { $month } { $year }
month-1 = janv.
month-2 = févr.
month-3 = mars
month-4 = avr.
month-5 = mai
month-6 = juin
month-7 = juil.
month-8 = août
month-9 = sept.
month-10 = oct.
month-11 = nov.
month-12 = déc.
percent = { $value } %
duration-minutes = { $count } min
duration-hours = { $count } h
duration-days = { $count ->
    [one] { $count } jour
   *[other] { $count } jours
}

## Baromètre
nav-pulse = Baromètre
pulse-title = Baromètre de l'équipe, semaine { $period }
pulse-lead = Trois questions, une fois par semaine. Votre réponse compte pour votre unité et n'est jamais gardée avec votre nom ; les résultats d'une unité ne sont montrés que si au moins { $count } personnes ont répondu.
pulse-question-happiness = Êtes-vous heureux au travail cette semaine ?
pulse-question-pleasure = Avez-vous pris plaisir à ce que vous avez fait ?
pulse-question-engagement = Vous sentez-vous impliqué pour faire avancer les choses ?
pulse-scale = 1 : pas du tout — 5 : tout à fait.
pulse-comment = Quelque chose à ajouter ?
pulse-submit = Envoyer ma réponse
pulse-thanks = Merci : votre réponse est comptée.
pulse-answered = Vous avez répondu au baromètre de cette semaine. Le prochain ouvre lundi.
field-happiness = Êtes-vous heureux au travail cette semaine ?
field-pleasure = Avez-vous pris plaisir à ce que vous avez fait ?
field-engagement = Vous sentez-vous impliqué ?
field-comment = Commentaire
## Organisation (administrateurs)
org-units = Unités
org-members = Membres
org-new-unit = Nouvelle unité
org-create-unit = Créer l'unité
org-new-member = Nouveau membre
org-create-member = Créer le membre
org-edit-hint = Choisissez un nom pour le modifier.
org-all-categories = Toute catégorie
org-categories-hint = Les catégories de demandes que traite cette unité. Aucune cochée : toutes.
org-no-unit = Aucune unité (administrateurs seulement)
org-role-hint = Le rôle doit correspondre à l'unité : terrain et managers dans une équipe, services dans une unité de service, direction dans l'unité de direction, administrateurs dans aucune.
org-password-hint = Au moins 8 caractères. Le membre pourra le changer ensuite.
org-state = État
org-active = Actif
org-inactive = Désactivé
org-more-members = Membres suivants
org-first-members = Revenir aux premiers membres
org-back = Retour à l'organisation
org-edit-unit = Modifier cette unité
org-edit-member = Modifier ce membre
org-deactivate-title = Désactiver
org-deactivate-explain = Un membre désactivé ne peut plus se connecter ; ses demandes et son historique restent. Vous pouvez le réactiver à tout moment.
org-deactivate = Désactiver ce membre
org-reactivate-title = Réactiver
org-reactivate-explain = Ce membre est désactivé et ne peut pas se connecter.
org-reactivate = Réactiver ce membre
org-unit-option = { $name } ({ $kind })
unit-kind-team = Équipe
unit-kind-service = Service
unit-kind-leadership = Direction
save = Enregistrer
field-name = Nom
field-unit-kind = Type d'unité
field-categories = Catégories
field-role = Rôle
field-unit_id = Unité
field-active = Désactivation (personne ne peut se désactiver soi-même)
field-version = Version

## Règles de routage et délais (direction)
nav-rules = Règles et délais
rules-title = Règles de routage et délais
rules-lead = Où les demandes descendent la pyramide quand personne ne choisit d'unité, et dans quels délais chacune doit être prise en charge et résolue.
rules-routing = Règles de routage
rules-routing-hint = Essayées par position, la plus basse d'abord : la première règle en service qui correspond à une demande l'envoie à son unité. Une liste laissée vide correspond à tout.
rules-none = Aucune règle de routage pour l'instant : les demandes descendent seulement vers l'unité choisie par quelqu'un.
rules-position = Position { $position }
rules-sends-to = Vers { $unit }
rules-on-filing = Dès l'enregistrement
rules-inactive = Hors service
rules-any = toutes
rules-new = Nouvelle règle
rules-add = Ajouter la règle
rules-edit = Modifier cette règle
rules-back = Retour aux règles et délais
rules-delete-title = Supprimer cette règle
rules-delete-explain = Les demandes qu'elle a déjà envoyées restent où elles sont.
rules-delete = Supprimer la règle
rules-position-hint = Les règles sont essayées de la position la plus basse à la plus haute.
rules-none-ticked = Aucune cochée : toutes.
rules-keywords-hint = Un par ligne, cherché dans le titre ou la description, majuscules ou non. Aucun : tous les mots.
field-position = Position
field-target_unit_id = Envoie vers
field-kinds = Types
field-urgencies = Urgences
field-keywords = Mots-clés
field-on_filing = L'envoyer dès l'enregistrement, avant les managers de l'équipe
field-rule-active = Cette règle est en service
field-match-categories = Catégories
field-match-kinds = Types
field-match-urgencies = Urgences
field-match-keywords = Mots-clés
sla-title = Délais par urgence
sla-lead = Prise en charge : à chaque arrivée à un niveau (le délai repart quand une demande descend). Résolution : depuis l'enregistrement. Les demandes enregistrées à partir de maintenant ont les nouveaux délais ; les autres gardent les leurs.
sla-now = En vigueur : prise en charge sous { $acknowledge }, résolution sous { $resolve }.
sla-save = Enregistrer les délais
sla-field = { $urgency } : { $field }
field-policies = Délais
field-policies-urgency = Urgence
field-policies-acknowledge_within_seconds = Prise en charge sous
field-policies-resolve_within_seconds = Résolution sous
time-unit = Unité de temps
time-unit-seconds = secondes
time-unit-minutes = minutes
time-unit-hours = heures
time-unit-days = jours
within-seconds = { $count ->
    [one] { $count } seconde
   *[other] { $count } secondes
}
within-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
within-hours = { $count ->
    [one] { $count } heure
   *[other] { $count } heures
}
within-days = { $count ->
    [one] { $count } jour
   *[other] { $count } jours
}

## Webhooks (direction)
nav-webhooks = Webhooks
webhooks-lead = D'autres systèmes peuvent recevoir les événements des demandes au fil de l'eau : chaque envoi est signé avec le secret du webhook et retenté jusqu'à ce qu'il passe.
webhooks-none = Aucun webhook pour l'instant.
webhooks-more = Webhooks suivants
webhooks-new = Enregistrer un webhook
webhooks-url-hint = L'adresse https du système qui reçoit.
webhooks-events-hint = Cochez-en au moins un.
webhooks-register = Enregistrer le webhook
webhooks-back = Retour aux webhooks
field-url = Adresse
field-events = Événements envoyés
field-secret = Secret de signature
webhook-title = Webhook
webhook-state = État
webhook-delivering = Envois réussis
webhook-failing = Envois en échec, retentés
webhook-disabled = Arrêté après une journée d'envois en échec
webhook-failing-since = En échec depuis
webhook-disabled-at = Arrêté le
webhook-registered = Enregistré le
webhook-created-title = Webhook enregistré
webhook-secret-title = Son secret de signature
webhook-secret-warning = Copiez-le maintenant : il n'est affiché qu'une fois. Aucune page ni aucune réponse de l'API ne le montrera plus ; s'il est perdu, supprimez ce webhook et enregistrez-le de nouveau.
webhook-secret-use = Le système qui reçoit vérifie avec lui l'en-tête Upturn-Signature de chaque envoi (HMAC-SHA256).
webhook-secret-done = Je l'ai copié : retour aux webhooks
webhook-deliveries = Envois récents
webhook-deliveries-none = Aucun envoi pour l'instant.
webhook-older = Envois plus anciens
webhook-delete-title = Supprimer ce webhook
webhook-delete-explain = Ses envois encore en attente sont abandonnés ; les événements restent dans l'historique de chaque demande.
webhook-delete = Supprimer le webhook
delivery-at = Quand
delivery-outcome = Résultat
delivery-answer = Réponse
delivery-attempt = Tentative
delivery-event = Événement
delivery-ok = Reçu
delivery-failed = Échec

## Initiatives (managers, services, direction)
nav-initiatives = Initiatives
initiatives-lead = Quand beaucoup de clients demandent la même chose, une seule initiative leur répond à tous : son avancement parvient à chaque demande liée, et la terminer les résout. Les plus demandées d'abord.
initiatives-none = Aucune initiative pour l'instant.
initiatives-more = Initiatives suivantes
initiatives-first = Revenir aux plus demandées
initiatives-new = Nouvelle initiative
initiatives-title-hint = Ce qui va changer pour les clients, par exemple « La taille 44 dans tous les magasins ».
initiatives-create = Créer l'initiative
initiatives-back = Retour aux initiatives
field-initiative-title = Titre
field-initiative-unit = Portée par
field-target_date = Date visée
field-public_note = Ce que lisent les clients et les auteurs des demandes
field-request_ids = Demandes à lier
initiative-target = Pour le { $date }
initiative-linked = Clients qui l'ont demandé
initiative-waiting = Encore en attente d'une réponse
initiative-teams = Équipes
initiative-public-note = Ce que lisent les clients
initiative-progress = Donner des nouvelles
initiative-progress-hint = L'auteur de chaque demande liée et chaque client qui en suit une le lisent aussitôt.
initiative-post-progress = Publier ces nouvelles
initiative-finish = Terminer ou abandonner
initiative-finish-hint = Réalisée résout chaque demande liée encore ouverte avec ce message. Abandonnée rend chaque demande à qui la détenait avant, avec cette explication.
initiative-do-done = Réalisée : résoudre les demandes liées
initiative-do-drop = Abandonner
initiative-suggestions = Demandes à rattacher
initiative-suggestions-hint = Les demandes des 90 derniers jours qui partagent des mots avec cette initiative ou ses demandes, les plus proches d'abord.
initiative-suggestions-legend = Cochez les demandes à lier
initiative-suggestions-none = Aucune demande à suggérer pour l'instant.
initiative-shared-words = { $count ->
    [one] { $count } mot en commun
   *[other] { $count } mots en commun
}
initiative-do-link = Lier les demandes cochées

## Export (direction)
export-csv = { $count ->
    [one] Télécharger les demandes enregistrées le dernier jour (CSV)
   *[other] Télécharger les demandes enregistrées ces { $count } derniers jours (CSV)
}

## Journal des modifications (administrateurs et direction)
nav-audit = Journal des modifications
audit-lead = Chaque modification de l'organisation et de ses réglages : qui l'a faite, quand, et ce qu'elle a changé. Les mots de passe, les secrets des webhooks et les données des clients n'y figurent jamais.
audit-caption = Modifications, les plus récentes d'abord
audit-kind = Type
audit-every-kind = Tous les types
audit-everyone = Tout le monde
audit-when = Quand
audit-who = Qui
audit-what = Quoi
audit-changes = Changements
audit-none = Aucune modification enregistrée ici pour l'instant.
audit-older = Modifications précédentes
audit-newest = Revenir aux modifications les plus récentes
audit-by-service = Upturn (automatique)
audit-change = { $field } : { $before } → { $after }
audit-entity-unit = Unités
audit-entity-member = Membres
audit-entity-routing_rule = Règles de routage
audit-entity-sla_policies = Délais (SLA)
audit-entity-webhook = Webhooks
audit-entity-request = Données des clients
audit-unit-created = Création de l'unité { $name }
audit-unit-updated = Modification de l'unité { $name }
audit-member-created = Ajout du membre { $name }
audit-member-updated = Modification du membre { $name }
audit-member-deactivated = Désactivation du membre { $name }
audit-routing_rule-created = Ajout de la règle de routage { $name }
audit-routing_rule-replaced = Modification de la règle de routage { $name }
audit-routing_rule-deleted = Suppression de la règle de routage { $name }
audit-sla_policies-replaced = Modification des délais (SLA)
audit-webhook-created = Enregistrement du webhook { $name }
audit-webhook-deleted = Suppression du webhook { $name }
audit-webhook-disabled = Désactivation du webhook { $name } après une journée de livraisons en échec
audit-customer_data-erased = Effacement du nom et des coordonnées du client de la demande { $name }
audit-field-name = Nom
audit-field-kind = Type
audit-field-categories = Catégories
audit-field-email = E-mail
audit-field-role = Rôle
audit-field-unit_id = Unité
audit-field-active = Actif
audit-field-password_changed = Mot de passe changé
audit-field-position = Position
audit-field-match = Critères
audit-field-kinds = Types
audit-field-urgencies = Urgences
audit-field-keywords = Mots-clés
audit-field-target_unit_id = Vers
audit-field-on_filing = Dès l'enregistrement
audit-field-version = Version
audit-field-policies = Délais
audit-field-acknowledge_within_seconds = Prise en charge sous (secondes)
audit-field-resolve_within_seconds = Résolution sous (secondes)
audit-field-url = URL
audit-field-events = Événements
audit-field-description = Description
audit-field-created_at = Création
audit-field-failing_since = En échec depuis
audit-field-disabled_at = Désactivé le
audit-field-reference = Demande
audit-field-customer_name = Nom du client conservé
audit-field-customer_contact = Coordonnées du client conservées
