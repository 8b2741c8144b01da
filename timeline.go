package mashang

import "time"

// CaseEvent is one line of a case's timeline.
type CaseEvent struct {
	At            time.Time
	Kind          EventKind
	Actor, Detail string
}

// EventKind is what one line of a case's timeline records. Every kind the
// domain and the store write is one of these, and eventAudiences says who
// reads it.
type EventKind string

const (
	EventOpened    EventKind = "opened"     // the citizen raised the case
	EventAdded     EventKind = "added"      // the citizen added to it (a form soon after, at the same code)
	EventPhotos    EventKind = "photos"     // the citizen's photos came with it
	EventUnchecked EventKind = "unchecked"  // WeChat's text check could not run
	EventHeld      EventKind = "held"       // the text check flagged it: staff look before anyone is told
	EventPhotoHeld EventKind = "photo_held" // a photo failed the check and is hidden from deputies
	EventRouted    EventKind = "routed"     // the group it went to, and why
	EventNotified  EventKind = "notified"   // the group's deputies were sent a notice, by name
	EventAlert     EventKind = "alert"      // nobody could be told: staff follow it up
	EventRerouted  EventKind = "rerouted"   // staff sent it to another group, with their reason
	// Staff moved it to another station or up to the congress of a higher
	// level: who, from where to where, and why.
	EventMoved EventKind = "moved"
	// A deputy asked staff to move it elsewhere, with their reason: staff
	// decide.
	EventMoveAsked   EventKind = "move_asked"
	EventCategorised EventKind = "categorised" // staff changed its category
	EventAccepted    EventKind = "accepted"    // a deputy or staff took it on
	EventDraft       EventKind = "draft"       // a deputy's answer, for staff to check and send
	EventReply       EventKind = "reply"       // the answer staff sent the citizen
	EventHanded      EventKind = "handed"      // handed to a department with a deadline
	// A department's handler acknowledged the hand-over (签收), by name.
	EventAcknowledged EventKind = "acknowledged"
	// A department's result (办理结果), for staff to review and send.
	EventResult   EventKind = "result"
	EventColour   EventKind = "colour"    // the supervision light changed
	EventNotify   EventKind = "notify"    // who the supervision reminder went to, by name
	EventClosed   EventKind = "closed"    // closed, with how it was resolved
	EventRated    EventKind = "rated"     // the citizen's verdict on the answer
	EventReopened EventKind = "reopened"  // back into handling: the citizen was dissatisfied, or staff reopened it
	EventMerged   EventKind = "merged"    // this duplicate went into another case
	EventMergedIn EventKind = "merged_in" // a duplicate came into this case
	// A deputy's own WeChat raised the case at their own code: staff look,
	// and the deputy earns no points on it.
	EventOwnCase EventKind = "own_case"
	// A deputy reports the case solved, with what was done: staff confirm
	// it by closing the case.
	EventSolvedReport EventKind = "solved_report"
	// How the outbox's deliveries went, with the recipient's masked openid
	// and, when WeChat refused, its error code.
	EventNoticeSent   EventKind = "template_sent"   // a notice reached a deputy or staff member
	EventNoticeFailed EventKind = "template_failed" // WeChat refused a notice for good
	EventReplySent    EventKind = "reply_sent"      // the answer reached the citizen
	EventReplyFailed  EventKind = "reply_failed"    // WeChat refused the answer for good
	// Staff (or a deputy, 代表转来) entered the case for a citizen who came
	// without WeChat: the channel and who entered it.
	EventEntered EventKind = "entered"
	// The citizen linked the walk-in case to their WeChat with the slip's code.
	EventClaimed EventKind = "claimed"
	// The slip was printed again with a new claim code.
	EventSlip EventKind = "slip"
	// Staff phoned a citizen who never linked a WeChat with the answer.
	EventPhoned EventKind = "phoned"
	// The case came through a pop-up desk (流动办公桌): where, when, and
	// the deputies present.
	EventDesk EventKind = "desk"
	// How a notice of progress to the citizen went.
	EventProgressSent   EventKind = "progress_sent"
	EventProgressFailed EventKind = "progress_failed"
	// A staff member published the case on the results wall, with the
	// texts as published, or took it down, with why.
	EventPublished   EventKind = "wall_published"
	EventUnpublished EventKind = "wall_unpublished"
)

// The lines of a suggestion's history (suggestion_events), read through
// the same audience table as a case's: citizens and the public read none
// of them, the deputies theirs, a body's handlers how it was handed and
// handled but never the deputy's evaluation before the office closes it
// (背靠背), staff everything.
const (
	EventSgCreated      EventKind = "sg_created"      // drafted by the deputy, or entered by staff from paper
	EventSgInvited      EventKind = "sg_invited"      // co-signers invited, by name
	EventSgSigned       EventKind = "sg_signed"       // a co-signer confirmed or declined
	EventSgSubmitted    EventKind = "sg_submitted"    // submitted (again, after revision) for review
	EventSgWithdrawn    EventKind = "sg_withdrawn"    // withdrawn by the deputy, with the reason
	EventSgReturned     EventKind = "sg_returned"     // returned for revision, with the reasons
	EventSgAccepted     EventKind = "sg_accepted"     // accepted (立案), with its number
	EventSgRefused      EventKind = "sg_refused"      // not a suggestion, with the legal reason
	EventSgMerged       EventKind = "sg_merged"       // merged into another suggestion
	EventSgMergedIn     EventKind = "sg_merged_in"    // another suggestion was merged into this one
	EventSgHanded       EventKind = "sg_handed"       // handed to the bodies, with the deadline
	EventSgAcknowledged EventKind = "sg_acknowledged" // a body acknowledged (签收), by name
	EventSgContact      EventKind = "sg_contact"      // a body recorded a contact with the deputy
	EventSgOpinion      EventKind = "sg_opinion"      // a co-handling body sent its opinion to the lead
	EventSgAnswered     EventKind = "sg_answered"     // the lead body answered, with the category
	EventSgEvaluated    EventKind = "sg_evaluated"    // the deputy's verdicts and comment (背靠背)
	EventSgRedo         EventKind = "sg_redo"         // back to the same bodies to handle again, by when
	EventSgPromise      EventKind = "sg_promise"      // the promised date of a B answer came: the body was asked again
	EventSgClosed       EventKind = "sg_closed"       // closed by the office, with its note
	EventSgKey          EventKind = "sg_key"          // marked for key supervision (重点督办): the leading official and the plan
)

// DeliveryEvent is the kind of line recording how an outbox item went: an
// answer to the citizen, or else a notice.
func DeliveryEvent(itemKind string, sent bool) EventKind {
	switch {
	case itemKind == KindProgress && sent:
		return EventProgressSent
	case itemKind == KindProgress:
		return EventProgressFailed
	case itemKind == "reply" && sent:
		return EventReplySent
	case itemKind == "reply":
		return EventReplyFailed
	case sent:
		return EventNoticeSent
	}
	return EventNoticeFailed
}

// Audience is who reads a case's timeline. The zero value is the public,
// who read least.
type Audience int

const (
	AudiencePublic  Audience = iota // anyone, on the results wall
	AudienceCitizen                 // the citizen who raised the case, in the Mini Program
	AudienceDeputy                  // the deputies answering for it, on their /d/ pages
	AudienceHandler                 // a department's handler (承办单位经办人), in the console and on /h/
	AudienceStaff                   // the congress's staff, in the console
)

// ConsoleAudience is who a console account with role reads a timeline as.
func ConsoleAudience(role string) Audience {
	if role == RoleHandler {
		return AudienceHandler
	}
	return AudienceStaff
}

// view is how one audience reads one kind of line: not at all, as written,
// or in words of its own where the detail holds what is not for them (an
// openid, WeChat's error code, who was sent what).
type view struct {
	shown   bool
	wording string // replaces the detail when set
}

var (
	hidden = view{}
	shown  = view{shown: true}
)

func reworded(wording string) view { return view{shown: true, wording: wording} }

// audiences is one row of eventAudiences: every audience, decided.
type audiences struct{ citizen, deputy, handler, staff, public view }

// eventAudiences says who reads each kind of line. Staff read everything.
// A citizen hears an answer only when staff send it (never a deputy's
// draft), and neither citizens nor deputies read content checks, staff's
// alerts, supervision or deliveries' openids and error codes. A department's
// handler reads how the case is handled, drafts and supervision lights
// included, not the congress's own alerts, checks and deliveries. The
// public read only how a case was closed — and the results wall shows
// even that only as a staff member published it (WallCases, Publishing).
// A kind missing here is for staff alone.
var eventAudiences = map[EventKind]audiences{
	// kind: {citizen, deputy, handler, staff, public}
	EventOpened:       {shown, shown, shown, shown, hidden},
	EventDesk:         {shown, shown, shown, shown, hidden},
	EventAdded:        {shown, shown, shown, shown, hidden},
	EventPhotos:       {shown, shown, shown, shown, hidden},
	EventUnchecked:    {hidden, hidden, hidden, shown, hidden},
	EventHeld:         {hidden, hidden, hidden, shown, hidden},
	EventPhotoHeld:    {hidden, hidden, hidden, shown, hidden},
	EventRouted:       {shown, shown, shown, shown, hidden},
	EventNotified:     {reworded("已通知代表"), shown, shown, shown, hidden},
	EventAlert:        {hidden, hidden, hidden, shown, hidden},
	EventRerouted:     {shown, shown, shown, shown, hidden},
	EventMoved:        {shown, shown, shown, shown, hidden},
	EventMoveAsked:    {hidden, shown, hidden, shown, hidden},
	EventCategorised:  {shown, hidden, shown, shown, hidden},
	EventAccepted:     {shown, shown, shown, shown, hidden},
	EventDraft:        {hidden, shown, shown, shown, hidden},
	EventReply:        {shown, shown, shown, shown, hidden},
	EventHanded:       {shown, shown, shown, shown, hidden},
	EventAcknowledged: {reworded("承办单位已签收"), shown, shown, shown, hidden},
	EventResult:       {hidden, shown, shown, shown, hidden},
	EventColour:       {hidden, hidden, shown, shown, hidden},
	EventNotify:       {hidden, hidden, hidden, shown, hidden},
	EventClosed:       {shown, shown, shown, shown, shown},
	EventRated:        {shown, shown, shown, shown, hidden},
	EventReopened:     {shown, shown, shown, shown, hidden},
	EventMerged:       {shown, shown, shown, shown, hidden},
	EventMergedIn:     {hidden, shown, shown, shown, hidden},
	EventOwnCase:      {hidden, hidden, hidden, shown, hidden},
	EventSolvedReport: {hidden, shown, shown, shown, hidden},
	EventNoticeSent:   {hidden, hidden, hidden, shown, hidden},
	EventNoticeFailed: {hidden, hidden, hidden, shown, hidden},
	EventReplySent:    {reworded("答复已送达"), reworded("答复已送达群众"), reworded("答复已送达群众"), shown, hidden},
	EventReplyFailed:  {hidden, hidden, hidden, shown, hidden},
	EventEntered:      {shown, shown, shown, shown, hidden},
	EventClaimed:      {shown, shown, shown, shown, hidden}, // the detail names no openid
	EventSlip:         {hidden, hidden, hidden, shown, hidden},
	EventPhoned:       {shown, shown, shown, shown, hidden},
	// The citizen reads the steps themselves, not the deliveries.
	EventProgressSent:   {hidden, hidden, hidden, shown, hidden},
	EventProgressFailed: {hidden, hidden, hidden, shown, hidden},
	// The wall is the congress's decision; the citizen agreed to it and
	// reads the wall itself.
	EventPublished:   {hidden, hidden, hidden, shown, hidden},
	EventUnpublished: {hidden, hidden, hidden, shown, hidden},
	// Suggestions: no citizen or public reads their history.
	EventSgCreated:      {hidden, shown, shown, shown, hidden},
	EventSgInvited:      {hidden, shown, hidden, shown, hidden},
	EventSgSigned:       {hidden, shown, hidden, shown, hidden},
	EventSgSubmitted:    {hidden, shown, shown, shown, hidden},
	EventSgWithdrawn:    {hidden, shown, hidden, shown, hidden},
	EventSgReturned:     {hidden, shown, hidden, shown, hidden},
	EventSgAccepted:     {hidden, shown, shown, shown, hidden},
	EventSgRefused:      {hidden, shown, hidden, shown, hidden},
	EventSgMerged:       {hidden, shown, shown, shown, hidden},
	EventSgMergedIn:     {hidden, shown, shown, shown, hidden},
	EventSgHanded:       {hidden, shown, shown, shown, hidden},
	EventSgAcknowledged: {hidden, shown, shown, shown, hidden},
	EventSgContact:      {hidden, shown, shown, shown, hidden},
	EventSgOpinion:      {hidden, hidden, shown, shown, hidden},
	EventSgAnswered:     {hidden, shown, shown, shown, hidden},
	// 背靠背: the bodies read the verdicts only once the office closes the
	// suggestion, and then on its page, not from this line.
	EventSgEvaluated: {hidden, shown, hidden, shown, hidden},
	// The bodies learn that they handle it again and by when, not why.
	EventSgRedo:    {hidden, shown, reworded("交回本单位重新办理"), shown, hidden},
	EventSgPromise: {hidden, hidden, shown, shown, hidden},
	EventSgClosed:  {hidden, shown, shown, shown, shown},
	// Key supervision is no secret from the deputy or the bodies: it is
	// how they know the congress's leaders follow it.
	EventSgKey: {hidden, shown, shown, shown, hidden},
}

func viewOf(k EventKind, who Audience) view {
	row, ok := eventAudiences[k]
	if !ok {
		row = audiences{staff: shown}
	}
	switch who {
	case AudienceCitizen:
		return row.citizen
	case AudienceDeputy:
		return row.deputy
	case AudienceHandler:
		return row.handler
	case AudienceStaff:
		return row.staff
	case AudiencePublic:
		return row.public
	}
	return hidden
}

// Visible says whether who reads lines of kind k at all.
func Visible(k EventKind, who Audience) bool { return viewOf(k, who).shown }

// TimelineFor is a timeline as who reads it: the lines not for them left
// out, and those whose detail is not for them in words of their own.
func TimelineFor(events []CaseEvent, who Audience) []CaseEvent {
	out := make([]CaseEvent, 0, len(events))
	for _, e := range events {
		v := viewOf(e.Kind, who)
		if !v.shown {
			continue
		}
		if v.wording != "" {
			e.Detail = v.wording
		}
		out = append(out, e)
	}
	return out
}
