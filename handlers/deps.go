package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"time"

	"mashang"
	"mashang/metrics"
	"mashang/wechat"
)

// Deps is what the routes need, one group per surface: each group of routes
// receives only what it uses. Every dependency is required unless its
// comment says otherwise; New names the first one missing.
type Deps struct {
	// Log (nil: slog.Default()) is every surface's unless it has its own.
	Log *slog.Logger
	// Metrics counts and times every request and push, and is served at
	// /metrics to Operations.MetricsAllow.
	Metrics *metrics.Metrics
	// TrustedProxies are the addresses whose X-Forwarded-For names the
	// client; nobody else's is believed.
	TrustedProxies []string
	// QueryTimeout (0: DefaultQueryTimeout) bounds each request of the
	// console, the exports and the public pages: what it asks of the
	// database stops then and the page says so, before the HTTP server's
	// write timeout (30 s) would drop the connection unanswered.
	QueryTimeout time.Duration
	// Limits keep each citizen's rate and each account's exports across
	// every instance.
	Limits SharedLimits

	Callback    CallbackDeps
	MiniProgram MiniProgramDeps
	StaffAPI    StaffAPIDeps
	Console     ConsoleDeps
	Deputies    DeputyDeps
	Citizens    CitizenDeps
	Departments DepartmentDeps
	Public      PublicDeps
	Operations  OperationsDeps
}

// CallbackDeps serve the Official Account's callback (/wechat/callback).
type CallbackDeps struct {
	Log          *slog.Logger // nil: Deps.Log
	Inbound      *wechat.Inbound
	Receiver     Receiver
	MaxBodyBytes int64
	// CallbackTimeout (0: 4 s) bounds storing a push. WeChat gives up after
	// 5 s and retries; answering 5xx before that is better than a dropped
	// connection.
	CallbackTimeout time.Duration
}

// MiniProgramDeps serve the Mini Program's API (/mp/), its message push
// (/wechat/mp-callback) and the photos WeChat's media check downloads.
type MiniProgramDeps struct {
	Log        *slog.Logger // nil: Deps.Log
	Login      LoginService
	Sessions   SessionVerifier
	Public     PublicDirectory
	Phones     PhoneService // nil: no data key, POST /mp/phone answers that it is not configured
	Forms      FormService
	Citizens   CitizenCases
	Ratings    RatingService
	Receptions ReceptionService
	Photos     PhotoService
	// ReminderTemplateID (optional) is the subscribe template a citizen
	// accepts for a reminder of their booking.
	ReminderTemplateID string
	// MPInbound checks the Mini Program's message pushes (its own token and
	// key); nil: no push token, the push URL answers that it is not configured.
	MPInbound    *wechat.Inbound
	MaxBodyBytes int64
	// CitizenLimit limits each citizen's requests (zero: none).
	CitizenLimit RateLimit
}

// StaffAPIDeps serve the staff JSON API (/api/).
type StaffAPIDeps struct {
	Log *slog.Logger // nil: Deps.Log
	// Accounts finds the staff member behind a bearer token (made by
	// `mashang staff token`); Console gives their reach and the cases in it.
	Accounts AccountService
	Console  ConsoleReader
	// Audit records what they do, in the action's transaction.
	Audit       Auditor
	Replies     ReplyService
	Rerouting   RerouteService
	Supervision SupervisionService
	Receptions  ReceptionService
}

// ConsoleDeps serve the staff console (/console/).
type ConsoleDeps struct {
	Log *slog.Logger // nil: Deps.Log
	// SuggestionFigures: the suggestions on the board, their figures and
	// Excel files, and key supervision (重点督办).
	SuggestionFigures SuggestionFigureReader
	Accounts          AccountService
	Console           ConsoleReader
	Staff             StaffDirectory
	AccountCreator    AccountCreator
	Rosters           RosterService
	Roster            RosterReader
	Replies           ReplyService
	Rerouting         RerouteService
	Supervision       SupervisionService
	// Activities and ActivityReader: deputies' activities (发单、接单、结单).
	Activities     ActivityService
	ActivityReader ActivityReader
	// Desks and DeskReader: pop-up desks (流动办公桌) and their codes.
	Desks      DeskService
	DeskReader DeskReader
	// Duty reports deputies' duty and points to staff.
	Duty   DutyReports
	Photos PhotoService
	// Media reads the photos and voice citizens sent, and departments'
	// attachments, to serve them to staff who reach their case.
	Media MediaReader
	// StaffBinding and StaffWeChat let staff bind their WeChat for
	// supervision notices.
	StaffBinding StaffBinder
	StaffWeChat  StaffWeChat
	// Audit records what staff do, in the action's transaction; AuditLog
	// reads it back for administrators.
	Audit    Auditor
	AuditLog AuditReader
	// PublicURL (optional) is where staff reach the service; https there
	// makes the console's cookies Secure.
	PublicURL string
	// Codes are the stations' and deputies' codes, exported within reach.
	Codes CodeService
	// Receptions publishes reception slots; Register keeps the reception
	// register (接待登记); Received counts the people received.
	Receptions ReceptionService
	Register   RegisterService
	Received   ReceivedFigures
	// Walkins enters cases for citizens who came without WeChat and
	// prints their slips; Walkin reads how such a case came.
	Walkins WalkinService
	Walkin  WalkinReader
	// Wall lists the cases waiting for the results wall and those on it;
	// Publishing decides what it shows.
	Wall       WallReviewer
	Publishing Publisher
	// Todo is the to-do list (待办), within reach.
	Todo TodoStore
	// Suggestions: the office's review, hand-over and closing of deputies'
	// suggestions, and paper entry.
	Suggestions SuggestionDeps
	// ReadPrimary (optional: nil when the heavy reads have no replica)
	// marks a request's reads for the primary database; a person's pages
	// are so marked for ReadPrimaryFor after they act (readOwnWrites).
	ReadPrimary    func(context.Context) context.Context
	ReadPrimaryFor time.Duration
}

// DeputyDeps serve deputies' pages (/d/).
type DeputyDeps struct {
	Log         *slog.Logger // nil: Deps.Log
	Pages       DeputyPages
	Supervision SupervisionService
	// Rerouting takes a deputy's request to move a case elsewhere.
	Rerouting RerouteService
	// Activities and ActivityReader: the activities deputies are invited to.
	Activities     ActivityService
	ActivityReader ActivityReader
	// Receptions are the reception days a deputy is on duty.
	Receptions DeputyReceptions
	// Audit records what deputies do (*store.DB).
	Audit Auditor
	// Walkins takes what a voter told a deputy in person (代表转来).
	Walkins WalkinService
	// Suggestions: the deputy raises, signs and evaluates suggestions.
	Suggestions SuggestionDeps
	// PublicURL is where deputies reach the service: the web
	// authorisation's redirect_uri is made from it, never from the
	// request's Host header (MASHANG_PUBLIC_URL; the sandbox's listen
	// address).
	PublicURL string
}

// PublicDeps serve what anyone may open: the codes and their pages, the
// results wall (/wall) and each station's public page.
type PublicDeps struct {
	Log        *slog.Logger // nil: Deps.Log
	Codes      CodeService
	Directory  Directory
	Wall       WallReader
	Public     PublicDirectory
	Receptions ReceptionService
	// MinCount is how many cases a rate must measure before a public page
	// shows it (MASHANG_PUBLIC_MIN_COUNT).
	MinCount int
	// Console and Staff read a jurisdiction's figures (*store.DB).
	Console interface {
		ReachOf(ctx context.Context, u mashang.StaffUser) (mashang.Reach, error)
		FigureGroups(ctx context.Context, r mashang.Reach, from, to, now time.Time) ([]mashang.FigureGroup, error)
	}
	Staff interface {
		JurisdictionByPath(ctx context.Context, path string) (int64, error)
	} // Suggestions reads the handled suggestions and their figures for
	// /suggestions; SuggestionNames names their deputies there
	// (MASHANG_PUBLIC_SUGGESTION_NAMES).
	Suggestions     SuggestionFigureReader
	SuggestionNames bool
}

// OperationsDeps serve health, readiness and metrics.
type OperationsDeps struct {
	DB Pinger
	// MediaDir, when media is kept in a local folder, must take a file for
	// /readyz to answer ready; "" when it is kept in an object store, which
	// readiness does not wait on (see readiness).
	MediaDir string
	// MetricsAllow are the networks that may read /metrics.
	MetricsAllow []*net.IPNet
	// Sandbox says so on the home page.
	Sandbox bool
}

// check names the first dependency missing, in one line that stops
// start-up: a route is never left out silently for want of one.
func (d Deps) check() error {
	for _, err := range []error{
		need("Metrics", d.Metrics),
		need("Limits", d.Limits),
		need("Callback.Inbound", d.Callback.Inbound),
		need("Callback.Receiver", d.Callback.Receiver),
		positive("Callback.MaxBodyBytes", d.Callback.MaxBodyBytes),
		need("MiniProgram.Login", d.MiniProgram.Login),
		need("MiniProgram.Sessions", d.MiniProgram.Sessions),
		need("MiniProgram.Public", d.MiniProgram.Public),
		need("MiniProgram.Forms", d.MiniProgram.Forms),
		need("MiniProgram.Citizens", d.MiniProgram.Citizens),
		need("MiniProgram.Ratings", d.MiniProgram.Ratings),
		need("MiniProgram.Receptions", d.MiniProgram.Receptions),
		need("MiniProgram.Photos", d.MiniProgram.Photos),
		positive("MiniProgram.MaxBodyBytes", d.MiniProgram.MaxBodyBytes),
		need("StaffAPI.Accounts", d.StaffAPI.Accounts),
		need("StaffAPI.Console", d.StaffAPI.Console),
		need("StaffAPI.Audit", d.StaffAPI.Audit),
		need("StaffAPI.Replies", d.StaffAPI.Replies),
		need("StaffAPI.Rerouting", d.StaffAPI.Rerouting),
		need("StaffAPI.Supervision", d.StaffAPI.Supervision),
		need("StaffAPI.Receptions", d.StaffAPI.Receptions),
		need("Console.Accounts", d.Console.Accounts),
		need("Console.Console", d.Console.Console),
		need("Console.Staff", d.Console.Staff),
		need("Console.AccountCreator", d.Console.AccountCreator),
		need("Console.Rosters", d.Console.Rosters),
		need("Console.Roster", d.Console.Roster),
		need("Console.Replies", d.Console.Replies),
		need("Console.Rerouting", d.Console.Rerouting),
		need("Console.Supervision", d.Console.Supervision),
		need("Console.Activities", d.Console.Activities),
		need("Console.ActivityReader", d.Console.ActivityReader),
		need("Console.Desks", d.Console.Desks),
		need("Console.DeskReader", d.Console.DeskReader),
		need("Console.Duty", d.Console.Duty),
		need("Console.Photos", d.Console.Photos),
		need("Console.Media", d.Console.Media),
		need("Console.StaffBinding", d.Console.StaffBinding),
		need("Console.StaffWeChat", d.Console.StaffWeChat),
		need("Console.Audit", d.Console.Audit),
		need("Console.AuditLog", d.Console.AuditLog),
		need("Console.Codes", d.Console.Codes),
		need("Console.Receptions", d.Console.Receptions),
		need("Console.Register", d.Console.Register),
		need("Console.Received", d.Console.Received),
		need("Console.Walkins", d.Console.Walkins),
		need("Console.Walkin", d.Console.Walkin),
		need("Deputies.Walkins", d.Deputies.Walkins),
		need("Console.Wall", d.Console.Wall),
		need("Console.Publishing", d.Console.Publishing),
		need("Console.Todo", d.Console.Todo),
		need("Console.Suggestions.Service", d.Console.Suggestions.Service),
		need("Console.Suggestions.Reader", d.Console.Suggestions.Reader),
		need("Deputies.Suggestions.Service", d.Deputies.Suggestions.Service),
		need("Deputies.Suggestions.Reader", d.Deputies.Suggestions.Reader),
		need("Departments.Suggestions.Service", d.Departments.Suggestions.Service),
		need("Departments.Suggestions.Reader", d.Departments.Suggestions.Reader),
		need("Console.Suggestions.Media", d.Console.Suggestions.Media),
		need("Console.Suggestions.Calendar", d.Console.Suggestions.Calendar),
		need("Deputies.Suggestions.Media", d.Deputies.Suggestions.Media),
		need("Deputies.Suggestions.Calendar", d.Deputies.Suggestions.Calendar),
		need("Departments.Suggestions.Media", d.Departments.Suggestions.Media),
		need("Departments.Suggestions.Calendar", d.Departments.Suggestions.Calendar),
		need("Deputies.Pages.Desk", d.Deputies.Pages.Desk),
		need("Deputies.Pages.OAuth", d.Deputies.Pages.OAuth),
		need("Deputies.Pages.Sessions", d.Deputies.Pages.Sessions),
		text("Deputies.Pages.AppID", d.Deputies.Pages.AppID),
		text("Deputies.Pages.OAuthBase", d.Deputies.Pages.OAuthBase),
		need("Deputies.Supervision", d.Deputies.Supervision),
		need("Deputies.Rerouting", d.Deputies.Rerouting),
		need("Deputies.Activities", d.Deputies.Activities),
		need("Deputies.ActivityReader", d.Deputies.ActivityReader),
		need("Deputies.Receptions", d.Deputies.Receptions),
		need("Deputies.Audit", d.Deputies.Audit),
		text("Deputies.PublicURL", d.Deputies.PublicURL),
		need("Citizens.Cases", d.Citizens.Cases),
		need("Citizens.Ratings", d.Citizens.Ratings),
		need("Citizens.OAuth", d.Citizens.OAuth),
		need("Citizens.Sessions", d.Citizens.Sessions),
		text("Citizens.AppID", d.Citizens.AppID),
		text("Citizens.OAuthBase", d.Citizens.OAuthBase),
		text("Citizens.PublicURL", d.Citizens.PublicURL),
		need("Departments.Desk", d.Departments.Desk),
		need("Departments.OAuth", d.Departments.OAuth),
		need("Departments.Sessions", d.Departments.Sessions),
		need("Departments.Supervision", d.Departments.Supervision),
		need("Departments.Audit", d.Departments.Audit),
		text("Departments.AppID", d.Departments.AppID),
		text("Departments.OAuthBase", d.Departments.OAuthBase),
		text("Departments.PublicURL", d.Departments.PublicURL),
		need("Public.Codes", d.Public.Codes),
		need("Public.Directory", d.Public.Directory),
		need("Public.Wall", d.Public.Wall),
		positive("Public.MinCount", int64(d.Public.MinCount)),
		need("Public.Public", d.Public.Public),
		need("Public.Receptions", d.Public.Receptions),
		need("Public.Console", d.Public.Console),
		need("Public.Staff", d.Public.Staff),
		need("Public.Suggestions", d.Public.Suggestions),
		need("Console.SuggestionFigures", d.Console.SuggestionFigures),
		need("Operations.DB", d.Operations.DB),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// need says when v, an interface or a pointer, holds nothing: a nil
// pointer in an interface is as missing as a nil interface.
func need(name string, v any) error {
	if v == nil {
		return missing(name)
	}
	if r := reflect.ValueOf(v); r.Kind() == reflect.Pointer && r.IsNil() {
		return missing(name)
	}
	return nil
}

func text(name, v string) error {
	if v == "" {
		return missing(name)
	}
	return nil
}

func positive(name string, v int64) error {
	if v <= 0 {
		return fmt.Errorf("handlers: Deps.%s is %d; it must be positive", name, v)
	}
	return nil
}

func missing(name string) error { return fmt.Errorf("handlers: Deps.%s is missing", name) }
