# Upturn's pages in English. Every sentence a person reads on a page lives
# here and in ../fr/main.ftl, with the same keys.

## Frame
skip-to-content = Skip to the content
nav-label = Main
nav-file = File a request
nav-team-requests = Team requests
nav-board = Board
nav-inbox = Inbox
nav-dashboard = Dashboard
nav-org = Organisation
unread-count = { $count ->
    [one] { $count } unread update
   *[other] { $count } unread updates
}
unread = unread
sign-in = Sign in
sign-out = Sign out
back-home = Back to my home page

## Sign-in
sign-in-title = Welcome to Upturn
sign-in-lead = Customers first: what they ask for goes down the pyramid, and the answer comes back up to you.
demo-title = Demo logins
demo-lead = Every demo member's password is { $password }. Choose one to sign in.

## Values
role-frontline = Front line
role-manager = Manager
role-service = Service
role-leader = Leadership
role-admin = Administrator
status-new = New
status-acknowledged = Acknowledged
status-in_progress = In progress
status-resolved = Resolved
status-declined = Declined
status-closed = Closed
level-frontline = front line
level-manager = managers
level-service = services
level-leadership = leadership
at-level = With { $level }
kind-need = A request
kind-need-hint = The customer asked for something.
kind-improvement = An improvement
kind-improvement-hint = Something we could do better.
kind-unmet_need = Unmet need
kind-unmet_need-hint = They said nothing but left without what they came for.
kind-idea = An idea
kind-idea-hint = A suggestion from the customer.
kind-praise = Praise
kind-praise-hint = Something the customer liked.
urgency-low = Low
urgency-normal = Normal
urgency-high = High
urgency-critical = Critical
channel-in_person = In person
channel-phone = Phone
channel-email = Email
channel-web = Website
channel-social = Social media
category-product = Product
category-service = Service
category-price = Price
category-availability = Availability
category-staff = Staff
category-premises = Premises
category-other = Other
initiative-planned = Planned
initiative-in_progress = Under way
initiative-done = Done
initiative-dropped = Not going ahead

## Events
event-filed = Filed
event-acknowledged = Acknowledged
event-routed = Routed down
event-escalated = Escalated
event-status_changed = Status changed
event-comment = Comment
event-resolved = Resolved
event-declined = Declined, with an explanation
event-follow_up_recorded = Customer followed up
event-reopened = Reopened for the customer
event-sla_breached = A deadline passed
event-initiative_linked = Joined an initiative
event-initiative_progress = Initiative progress
event-initiative_dropped = Initiative not going ahead
event-customer_data_erased = Customer data erased
event-routed-to = Routed down to { $level }
event-status-to = Now { $status }

## Intake
intake-title = File a request
intake-expectation-hint = In the customer's words: what did they hope for?
intake-title-hint = Left empty, the first line of what the customer expects is used.
intake-more = Details and customer contact
intake-submit = File it
knowledge-title = How it was solved before
knowledge-use = Use this as what I did
knowledge-solved-by = Solved by { $unit }
knowledge-solved-frontline = Solved at the front line
knowledge-solved = Solved
knowledge-similar = { $count } similar requests
required = (required)
optional = (optional)
choose = Choose…
outbox-waiting = Waiting to be sent (no network yet):
outbox-sent = Sent. Open the receipt:
outbox-offline = No network: your request is kept on this device and will be sent when the network is back.
outbox-sign-in = Sign in again to send what is waiting; it stays on this device.

## Fields
field-customer_expectation = What the customer expects
field-kind = What is it?
field-category = Category
field-urgency = Urgency
field-channel = Channel
field-title = Short title
field-description = Description
field-customer-name = Customer's name
field-customer-contact = Customer's phone or email
field-customer-customer-name = Customer's name
field-customer-customer-contact = Customer's phone or email
field-consent = The customer agrees to be called back
field-on-the-spot = I solved it on the spot
field-on-the-spot-note = What I did (needed when solved on the spot)
field-resolved_on_the_spot-note = What I did
field-email = Email
field-password = Password
field-note = Note
field-body = Comment
field-status = Status
field-reached = Did you reach the customer?
field-satisfaction = How satisfied was the customer? (1 to 5)
field-would_recommend = Would they recommend us? (0 to 10)
field-reopen = Not satisfied: reopen the request
field-internal = Internal (staff only)
field-to_unit_id = Unit
field-form = Form
field-lang = Language

## Receipt and request
receipt-title = Filed. Thank you!
receipt-give-code = Give the customer this tracking code, or let them scan the QR code:
receipt-no-code = No tracking code: the customer did not agree to be followed up.
receipt-qr-label = QR code of the customer's tracking page
receipt-show-code = Tracking code and QR code
receipt-file-another = File another request
filed = Filed
consent-given = agrees to be called back
deadline-acknowledge = Acknowledge by
deadline-resolve = Resolve by
deadline-short-acknowledge = Acknowledge by
deadline-short-resolve = Resolve by
overdue = Overdue
resolution-note = Answer
actions = Actions
do-acknowledge = Acknowledge
do-start = Start working on it
answer-note = Answer (what was done, or why not)
do-resolve = Resolve
do-decline = Decline with this explanation
route-to = Route down to
route-by-rules = By the routing rules
route-note = Why it goes down
do-route = Route down
follow-up-title = Customer follow-up
yes = Yes
no = No
not-asked = Not asked
do-follow-up = Record the follow-up
do-watch = Follow this request
do-unwatch = Stop following
do-erase-customer = Erase the customer's personal data
erase-customer-explain = Their name and contact are erased for good. The request, its figures and its timeline stay, and the customer can still follow it with their tracking code.
do-erase-customer-confirm = Erase the name and contact now
timeline = Timeline
comment = Add a comment
do-comment = Comment
internal = internal

## Board
filters = Filters
filter-text = Words
filter-open-and-answered = Open and answered
filter-all = All
filter-apply = Apply
filter-clear = Clear the filters
overdue-only = Overdue only
column-empty = Nothing here.
call-back-title = { $count ->
    [one] To call back: { $count } answer came back up
   *[other] To call back: { $count } answers came back up
}

## Inbox
live-update = A request you follow has news: this page is up to date.
live-busy = News arrived while you were typing: reload the page when you are done.
inbox-empty = Nothing yet: updates on the requests you filed, hold or follow arrive here, live.
inbox-read-all = Mark everything as read

## Dashboard
period = Period
period-days = { $count ->
    [one] Last day
   *[other] Last { $count } days
}
unit = Unit
whole-organisation = Whole organisation
m-frontline-share = Solved at the front line
m-frontline-share-def = Requests resolved by the front line itself, out of all resolved.
m-volume = Requests filed
dashboard-as-of = Figures as of:
dashboard-days-kept = A period counts whole days (UTC) up to today; the figures are computed again after a minute.
m-volume-def = Filed in the period.
m-backlog = Open
m-backlog-age = Median age { $age }
m-ack = Time to acknowledge
m-resolve = Time to resolve
m-p90 = 9 in 10 within { $value }
m-sla = Deadlines kept
m-sla-def = Requests whose deadlines were all kept, out of those decided.
m-satisfaction = Satisfaction (1–5)
m-satisfaction-def = { $share } answered 4 or 5.
m-nps = Net promoter score
m-nps-def = { $count ->
    [one] From { $count } answer.
   *[other] From { $count } answers.
}
m-follow-up = Customers called back
m-follow-up-def = Resolved requests where the customer was reached.
m-reopen = Reopened
m-declined = Declined: { $share }
m-silent = Silent dissatisfaction
m-silent-def = { $expressed } expressed × { $multiplier }: a rule of thumb, since only about one dissatisfied customer in ten speaks up.
estimate = estimate
m-trend = Week by week
m-trend-volume = Requests filed per week
m-trend-share = Solved at the front line per week
m-by-unit = By unit
m-by-category = By category
m-pulse = Team pulse, week { $period }, beside customer outcomes
m-pulse-def = Means from 1 to 5. A unit's answers are shown only when at least { $count } people answered, and never in a way that lets one answer be worked out.
m-pulse-answers = Answers
m-pulse-happiness = Happy at work
m-pulse-pleasure = Enjoyed the work
m-pulse-engagement = Involved
m-pulse-hidden = Hidden: fewer than { $count } answers, or showing it would reveal a small group.

## Tracking page (customers)
track-code = Tracking code { $code }
track-progress = Progress
track-headline-new = We have your request
track-headline-acknowledged = Your request is being looked at
track-headline-in_progress = We are working on your request
track-headline-resolved = Your request has an answer
track-headline-declined = Your request has an answer
track-headline-closed = Your request is complete
track-explain-new = The team has received it and will look at it soon.
track-explain-acknowledged = Someone has taken it in hand.
track-explain-in_progress = The people who can answer it are on it.
track-explain-resolved = See the answer below. We will get back to you.
track-explain-declined = See the explanation below. We will get back to you.
track-explain-closed = Thank you for helping us improve.
track-step-1 = Received
track-step-2 = In hand
track-step-3 = Answered
track-step-4 = Complete
track-answer = Our answer
track-initiative = Part of a wider improvement
track-history = History
track-updated = Last update: { $when }

## Errors, in words (one per API code)
error-malformed_json = The form could not be read.
error-validation_failed = Some fields need another look.
error-check-fields = Please check:
error-unauthenticated = Please sign in.
error-invalid_credentials = Unknown email or wrong password.
error-forbidden = This is not yours to do, or the form has expired: reload the page.
error-not_found = There is nothing here, or it is not yours to see.
error-email_taken = This email is already used by another member.
error-already_answered = You have already answered this week.
error-version_conflict = Someone changed this meanwhile: the page now shows the latest.
error-precondition_failed = Someone changed this meanwhile: the page now shows the latest.
error-invalid_transition = That step is not possible at this stage.
error-no_matching_rule = No routing rule fits this request: choose a unit.
error-idempotency_key_reused = This was already sent with different content.
error-payload_too_large = That is too long to send.
error-unsupported_media_type = The form could not be read.
error-rate_limited = Too many attempts: wait a minute and try again.
error-unavailable = Upturn is starting or stopping: try again in a moment.
error-internal = Something went wrong on our side. It has been logged.
error-last_admin = At least one active administrator must remain.
error-method_not_allowed = That cannot be done here.
error-status = Error { $status }

## Dates and numbers
datetime = { $day } { $month } { $year }, { $time }
date = { $day } { $month } { $year }
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec
percent = { $value }%
duration-minutes = { $count } min
duration-hours = { $count } h
duration-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}

## Pulse
nav-pulse = Pulse
pulse-title = Team pulse, week { $period }
pulse-lead = Three questions, once a week. Your answer counts for your unit and is never kept with your name; a unit's results are shown only when at least { $count } people answered.
pulse-question-happiness = How happy are you at work this week?
pulse-question-pleasure = How much did you enjoy what you did?
pulse-question-engagement = How involved do you feel in improving things?
pulse-scale = 1: not at all — 5: very much.
pulse-comment = Anything to add?
pulse-submit = Send my answer
pulse-thanks = Thank you: your answer is counted.
pulse-answered = You have answered this week's pulse. The next one opens on Monday.
field-happiness = How happy are you at work this week?
field-pleasure = How much did you enjoy what you did?
field-engagement = How involved do you feel?
field-comment = Comment
## Organisation (admins)
org-units = Units
org-members = Members
org-new-unit = New unit
org-create-unit = Create the unit
org-new-member = New member
org-create-member = Create the member
org-edit-hint = Choose a name to change it.
org-all-categories = Any category
org-categories-hint = The categories of request this unit handles. None ticked: any category.
org-no-unit = No unit (administrators only)
org-role-hint = The role must fit the unit: front line and managers in a team, services in a service unit, leadership in the leadership unit, administrators in none.
org-password-hint = At least 8 characters. The member can change it later.
org-state = State
org-active = Active
org-inactive = Deactivated
org-more-members = More members
org-first-members = Back to the first members
org-back = Back to the organisation
org-edit-unit = Change this unit
org-edit-member = Change this member
org-deactivate-title = Deactivate
org-deactivate-explain = A deactivated member can no longer sign in; their requests and history stay. You can reactivate them at any time.
org-deactivate = Deactivate this member
org-reactivate-title = Reactivate
org-reactivate-explain = This member is deactivated and cannot sign in.
org-reactivate = Reactivate this member
org-unit-option = { $name } ({ $kind })
unit-kind-team = Team
unit-kind-service = Service
unit-kind-leadership = Leadership
save = Save
field-name = Name
field-unit-kind = Kind of unit
field-categories = Categories
field-role = Role
field-unit_id = Unit
field-active = Deactivating (no one can deactivate themselves)
field-version = Version

## Routing rules and deadlines (leadership)
nav-rules = Rules and deadlines
rules-title = Routing rules and deadlines
rules-lead = Where requests go down the pyramid when no one names a unit, and how soon each must be acknowledged and resolved.
rules-routing = Routing rules
rules-routing-hint = Tried by position, lowest first: the first active rule that fits a request routes it to its unit. A list left empty fits anything.
rules-none = No routing rule yet: requests go down only to the unit someone chooses.
rules-position = Position { $position }
rules-sends-to = To { $unit }
rules-on-filing = As soon as filed
rules-inactive = Not in use
rules-any = any
rules-new = New rule
rules-add = Add the rule
rules-edit = Change this rule
rules-back = Back to the rules and deadlines
rules-delete-title = Delete this rule
rules-delete-explain = Requests it already routed stay where they are.
rules-delete = Delete the rule
rules-position-hint = Rules are tried from the lowest position up.
rules-none-ticked = None ticked: any.
rules-keywords-hint = One per line, found in the title or the description, in capitals or not. None: any words.
field-position = Position
field-target_unit_id = Routes to
field-kinds = Kinds
field-urgencies = Urgencies
field-keywords = Keywords
field-on_filing = Route it as soon as it is filed, before the team's managers
field-rule-active = This rule is in use
field-match-categories = Categories
field-match-kinds = Kinds
field-match-urgencies = Urgencies
field-match-keywords = Keywords
sla-title = Deadlines by urgency
sla-lead = Acknowledge: from each arrival at a level (the clock starts again when a request goes down). Resolve: from filing. Requests filed from now on get the new deadlines; those already filed keep theirs.
sla-now = In force: acknowledge within { $acknowledge }, resolve within { $resolve }.
sla-save = Save the deadlines
sla-field = { $urgency }: { $field }
field-policies = Deadlines
field-policies-urgency = Urgency
field-policies-acknowledge_within_seconds = Acknowledge within
field-policies-resolve_within_seconds = Resolve within
time-unit = Unit of time
time-unit-seconds = seconds
time-unit-minutes = minutes
time-unit-hours = hours
time-unit-days = days
within-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}
within-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
within-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
within-days = { $count ->
    [one] { $count } day
   *[other] { $count } days
}

## Webhooks (leadership)
nav-webhooks = Webhooks
webhooks-lead = Other systems can receive request events as they happen: each delivery is signed with the webhook's secret and tried again until it gets through.
webhooks-none = No webhook yet.
webhooks-more = More webhooks
webhooks-new = Register a webhook
webhooks-url-hint = The https address of the receiving system.
webhooks-events-hint = Tick at least one.
webhooks-register = Register the webhook
webhooks-back = Back to the webhooks
field-url = Address
field-events = Events sent
field-secret = Signing secret
webhook-title = Webhook
webhook-state = State
webhook-delivering = Delivering
webhook-failing = Deliveries failing, tried again
webhook-disabled = Stopped after a day of failed deliveries
webhook-failing-since = Failing since
webhook-disabled-at = Stopped on
webhook-registered = Registered
webhook-created-title = Webhook registered
webhook-secret-title = Its signing secret
webhook-secret-warning = Copy it now: it is shown this once. No page and no API answer will show it again; if it is lost, delete this webhook and register it again.
webhook-secret-use = The receiving system checks each delivery's Upturn-Signature header with it (HMAC-SHA256).
webhook-secret-done = I have copied it: back to the webhooks
webhook-deliveries = Recent deliveries
webhook-deliveries-none = No delivery yet.
webhook-older = Older deliveries
webhook-delete-title = Delete this webhook
webhook-delete-explain = Its deliveries still waiting are dropped; the events stay in each request's timeline.
webhook-delete = Delete the webhook
delivery-at = When
delivery-outcome = Outcome
delivery-answer = Answer
delivery-attempt = Attempt
delivery-event = Event
delivery-ok = Delivered
delivery-failed = Failed

## Initiatives (managers, services, leadership)
nav-initiatives = Initiatives
initiatives-lead = When many customers ask for the same thing, one initiative answers them all: its progress reaches every linked request, and completing it resolves them. Most asked for first.
initiatives-none = No initiative yet.
initiatives-more = More initiatives
initiatives-first = Back to the most asked for
initiatives-new = New initiative
initiatives-title-hint = What will change for the customers, e.g. "Size 44 in every store".
initiatives-create = Create the initiative
initiatives-back = Back to the initiatives
field-initiative-title = Title
field-initiative-unit = Carried by
field-target_date = Target date
field-public_note = What customers and filers read
field-request_ids = Requests to link
initiative-target = By { $date }
initiative-linked = Customers who asked
initiative-waiting = Still waiting to hear back
initiative-teams = Teams
initiative-public-note = What customers read
initiative-progress = Post progress
initiative-progress-hint = Every linked request's filer and every customer tracking one reads it at once.
initiative-post-progress = Post the progress
initiative-finish = Complete or drop
initiative-finish-hint = Done resolves every linked open request with this note. Not going ahead hands each request back to whoever held it before, with this explanation.
initiative-do-done = Done: resolve the linked requests
initiative-do-drop = Not going ahead
initiative-suggestions = Requests worth linking
initiative-suggestions-hint = Requests of the last 90 days that share words with this initiative or its requests, most alike first.
initiative-suggestions-legend = Tick the requests to link
initiative-suggestions-none = No request to suggest right now.
initiative-shared-words = { $count ->
    [one] { $count } word in common
   *[other] { $count } words in common
}
initiative-do-link = Link the ticked requests

## Export (leadership)
export-csv = { $count ->
    [one] Download the requests filed in the last day (CSV)
   *[other] Download the requests filed in the last { $count } days (CSV)
}

## Audit trail (admins and leadership)
nav-audit = Audit trail
audit-lead = Every change to the organisation and its settings: who made it, when, and what it changed. Passwords, webhook secrets and customers' data never appear here.
audit-caption = Changes, newest first
audit-kind = Kind
audit-every-kind = Every kind
audit-everyone = Everyone
audit-when = When
audit-who = Who
audit-what = What
audit-changes = Changes
audit-none = No change recorded here yet.
audit-older = Older changes
audit-newest = Back to the newest changes
audit-by-service = Upturn (automatic)
audit-change = { $field }: { $before } → { $after }
audit-entity-unit = Units
audit-entity-member = Members
audit-entity-routing_rule = Routing rules
audit-entity-sla_policies = SLA policies
audit-entity-webhook = Webhooks
audit-entity-request = Customer data
audit-unit-created = Created the unit { $name }
audit-unit-updated = Changed the unit { $name }
audit-member-created = Added the member { $name }
audit-member-updated = Changed the member { $name }
audit-member-deactivated = Deactivated the member { $name }
audit-routing_rule-created = Added the routing rule { $name }
audit-routing_rule-replaced = Changed the routing rule { $name }
audit-routing_rule-deleted = Deleted the routing rule { $name }
audit-sla_policies-replaced = Changed the SLA policies
audit-webhook-created = Registered the webhook { $name }
audit-webhook-deleted = Deleted the webhook { $name }
audit-webhook-disabled = Disabled the webhook { $name } after a day of failed deliveries
audit-customer_data-erased = Erased the customer's name and contact on request { $name }
audit-field-name = Name
audit-field-kind = Kind
audit-field-categories = Categories
audit-field-email = Email
audit-field-role = Role
audit-field-unit_id = Unit
audit-field-active = Active
audit-field-password_changed = Password changed
audit-field-position = Position
audit-field-match = Matches
audit-field-kinds = Kinds
audit-field-urgencies = Urgencies
audit-field-keywords = Keywords
audit-field-target_unit_id = Sends to
audit-field-on_filing = As soon as filed
audit-field-version = Version
audit-field-policies = Deadlines
audit-field-acknowledge_within_seconds = Acknowledge within (seconds)
audit-field-resolve_within_seconds = Resolve within (seconds)
audit-field-url = URL
audit-field-events = Events
audit-field-description = Description
audit-field-created_at = Created
audit-field-failing_since = Failing since
audit-field-disabled_at = Disabled
audit-field-reference = Request
audit-field-customer_name = Customer's name held
audit-field-customer_contact = Customer's contact held
