package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// opDoc documents one API route. The OpenAPI document is built from apiRoutes() and this table,
// so a route without documentation is a test failure, not a silent gap.
type opDoc struct {
	summary  string
	request  string // schema name of a JSON body, "csv|json" for the panel import, "" for none
	response string // schema name of the 2xx body, "" for 204
	status   int    // success status (default 200)
}

var opDocs = map[string]opDoc{
	"GET /openapi.json":                           {"This document", "", "object", 0},
	"POST /auth/login":                            {"Sign in as staff; returns a bearer token", "Login", "Token", 0},
	"POST /auth/logout":                           {"End this session: its token and cookie stop working at once", "", "", 204},
	"POST /auth/password":                         {"Choose a password with a one-time invitation or reset link's token; signs in", "SetPassword", "Token", 0},
	"GET /me":                                     {"The signed-in staff member", "", "Staff", 0},
	"PUT /me/password":                            {"Change one's own password (12+ characters, not a common one); other sessions end", "ChangePassword", "", 204},
	"GET /me/sessions":                            {"One's own live sessions", "", "SessionList", 0},
	"GET /studies/{sid}/privacy":                  {"The study's retention of personal data and its erasure", "", "Privacy", 0},
	"PUT /studies/{sid}/retention":                {"Days after finishing that the panel's names, emails and links are kept (null: until an admin erases)", "Retention", "Privacy", 0},
	"POST /studies/{sid}/erase":                   {"Erase a finished study's personal data now (admins): names, emails, links, outbox; answers and reports stay", "", "Erased", 0},
	"GET /studies/{sid}/members":                  {"Who works on the study, and as what", "", "MemberList", 0},
	"PUT /studies/{sid}/members/{staff_id}":       {"Add a member to the study or change their role there (201 when added)", "MemberRole", "Member", 0},
	"DELETE /studies/{sid}/members/{staff_id}":    {"Remove a member from the study", "", "", 204},
	"GET /staff/{id}":                             {"A staff account (admins)", "", "Staff", 0},
	"PATCH /staff/{id}":                           {"Change a staff account's role or disable it (admins); its sessions end; the last admin cannot be demoted or disabled (409)", "StaffChange", "Staff", 0},
	"POST /staff/{id}/password-reset":             {"Reset a password (admins): the old one stops working, sessions end, and a one-time link lets the member choose a new one", "", "StaffWithLink", 0},
	"GET /staff/{id}/sessions":                    {"A staff member's live sessions (admins)", "", "SessionList", 0},
	"DELETE /staff/{id}/sessions":                 {"End all of a staff member's sessions (admins)", "", "Ended", 0},
	"DELETE /staff/{id}/sessions/{session}":       {"End one session of a staff member (admins)", "", "Ended", 0},
	"GET /surveys":                                {"Survey definitions studies can be created from", "", "SurveyList", 0},
	"GET /studies":                                {"List studies", "", "StudyList", 0},
	"POST /studies":                               {"Create a study from a bundled survey or an uploaded definition", "CreateStudy", "Study", 201},
	"GET /studies/{sid}":                          {"A study with its definition and rounds", "", "Study", 0},
	"POST /studies/{sid}/finish":                  {"Finish a study after its last round", "", "Study", 0},
	"GET /studies/{sid}/panelists":                {"The panel (names and emails: facilitators and admins only)", "", "PanelistList", 0},
	"POST /studies/{sid}/panelists":               {"Add panelists from a JSON array or text/csv, all or nothing", "csv|json", "PanelistList", 201},
	"POST /studies/{sid}/panelists/preview":       {"Check a panel import without writing anything", "csv|json", "ImportPreview", 0},
	"PATCH /studies/{sid}/panelists/{pid}":        {"Edit a panelist", "PanelistInput", "Panelist", 0},
	"DELETE /studies/{sid}/panelists/{pid}":       {"Withdraw a panelist (their links stop working); ?answers=remove_open deletes their answers in rounds still open, else they stay", "", "", 204},
	"GET /studies/{sid}/rounds/next":              {"The proposed item set and panel of the next round", "", "Proposal", 0},
	"POST /studies/{sid}/rounds":                  {"Open the next round (defaults: the proposal)", "OpenRound", "Round", 201},
	"GET /studies/{sid}/rounds/{n}":               {"A round with its items and frozen rule", "", "Round", 0},
	"PATCH /studies/{sid}/rounds/{n}":             {"Change an open round's deadline", "RoundUpdate", "Round", 0},
	"POST /studies/{sid}/rounds/{n}/close":        {"Close a round and store its snapshot", "", "CloseSummary", 0},
	"GET /studies/{sid}/rounds/{n}/progress":      {"Counts of submitted / started / not started, by group and country", "", "Progress", 0},
	"POST /studies/{sid}/rounds/{n}/invitations":  {"Issue (or re-issue) invite links; optionally queue the emails", "IssueInvitations", "LinkList", 201},
	"POST /studies/{sid}/rounds/{n}/reminders":    {"Queue reminders to invited panelists who have not submitted", "", "Queued", 201},
	"GET /studies/{sid}/rounds/{n}/{file}":        {"Exports of a closed round: report.json, report.csv, report.xlsx, report.html, answers.csv (a new pseudonym per round), answers-linked.csv (the study's pseudonyms; facilitators and admins), outcome.csv, comments.csv, suggestions.csv", "", "file", 0},
	"GET /studies/{sid}/decisions":                {"The decisions of meetings and the committee on the study's items, oldest first", "", "DecisionList", 0},
	"POST /studies/{sid}/decisions":               {"Record a committee decision on an item (provisional while the study runs); audited", "DecisionInput", "Decision", 201},
	"GET /studies/{sid}/outcome.json":             {"The outcome (outcome-definitions.md §4): frozen rules with hashes, groups, one entry per item ever asked", "", "Outcome", 0},
	"GET /studies/{sid}/outcome/redcap.csv":       {"The agreed data set as a REDCap data dictionary (CSV, 18 columns)", "", "file", 0},
	"GET /studies/{sid}/outcome/odm.xml":          {"The agreed data set as CDISC ODM 1.3.2 metadata (XML)", "", "file", 0},
	"GET /studies/{sid}/suggestions":              {"Suggested items with their triage status", "", "SuggestionList", 0},
	"POST /studies/{sid}/suggestions/{id}/triage": {"Accept, merge or reject a suggestion", "Triage", "", 204},
	"GET /studies/{sid}/outbox":                   {"Queued and sent emails", "", "MessageList", 0},
	"GET /studies/{sid}/audit":                    {"The study's audit log (admins)", "", "AuditList", 0},
	"DELETE /invitations/{id}":                    {"Revoke an invite link", "", "", 204},
	"GET /studies/{sid}/meetings":                 {"The study's consensus meetings, newest first", "", "MeetingList", 0},
	"POST /studies/{sid}/meetings":                {"Create a consensus meeting with a join code; without items, the items the outcome leaves undecided, closest first", "MeetingInput", "Meeting", 201},
	"POST /meetings/join":                         {"Join a meeting with its code; a panelist sending their invite token joins under their own name and group; returns an attendee token", "JoinInput", "Joined", 201},
	"PUT /meetings/vote":                          {"Attendee: vote on the open item (replaces one's earlier vote until it closes); 2xx means durable", "VoteInput", "VoteAck", 0},
	"GET /meetings/current":                       {"Attendee: the meeting and its open vote, with one's own vote", "", "Attending", 0},
	"GET /meetings/{mid}":                         {"A meeting: its list with closeness, open vote with the count of votes cast (not their split), results, attendees per group", "", "Meeting", 0},
	"PUT /meetings/{mid}/items":                   {"Edit and reorder a meeting's list (items voted on stay)", "MeetingItems", "Meeting", 0},
	"POST /meetings/{mid}/items/{item}/open":      {"Open the vote on an item: a proposal (tier, module) or options; one vote open at a time (409)", "Question", "Meeting", 0},
	"POST /meetings/{mid}/items/{item}/close":     {"Close the open vote: it becomes a decision (outcome-definitions.md §3) and the votes are untied from their attendees; audited", "", "Meeting", 0},
	"PUT /meetings/{mid}/join":                    {"Open or close joining, or give the meeting a new code (the old one stops working)", "JoinAction", "Meeting", 0},
	"POST /meetings/{mid}/end":                    {"End the meeting: joining closes, no more votes", "", "Meeting", 0},
	"GET /meetings/{mid}/events":                  {"Server-sent events: a pulse event (state, open item, votes cast, attendees) at the start and after every change", "", "Pulse", 0},
	"GET /meetings/{mid}/report.json":             {"The meeting's record: attendees by group (never by name), each item's question, counts and result; audited", "", "MeetingReport", 0},
	"GET /meetings/{mid}/report.csv":              {"The meeting's record as CSV; audited", "", "file", 0},
	"GET /staff":                                  {"Staff accounts (admins)", "", "StaffList", 0},
	"POST /staff":                                 {"Add a staff account (admins); without a password it is invited, and the answer carries the one-time link to choose one", "NewStaff", "StaffWithLink", 201},
	"GET /respond":                                {"Expert: the current round, saved answers and feedback", "", "Questionnaire", 0},
	"POST /respond/consent":                       {"Expert: record consent", "", "object", 0},
	"PUT /respond/answers":                        {"Expert: save answers (each replaces that item's answer; idempotent; all or nothing)", "Answers", "Saved", 0},
	"POST /respond/submit":                        {"Expert: submit the round (answers stay editable until it closes)", "", "Submitted", 0},
	"GET /respond/my-data":                        {"Expert: everything stored about them (panel record, consent and its version, links, answers, suggestions), as a JSON file", "", "object", 0},
	"POST /respond/withdraw":                      {"Expert: withdraw from the study; their link stops working; answers in open rounds kept or removed", "Withdrawal", "object", 0},
	"POST /respond/suggestions":                   {"Expert: suggest a missing item (round 1)", "SuggestionInput", "Suggestion", 201},
}

// schemas are the JSON Schemas the operations refer to (OpenAPI 3.1 uses JSON Schema 2020-12).
var schemas = map[string]any{
	"Error": obj(props{"error": obj(props{"code": str("invalid, not_found, conflict, unauthorized, forbidden, gone, too_large, malformed, unsupported, rate_limited, internal"),
		"message": str(""), "field": str("e.g. answers[3].rating"), "line": integer(), "problems": arr(ref("RowProblem"))}, "code", "message")}, "error"),
	"Login":          obj(props{"email": str(""), "password": str("")}, "email", "password"),
	"Token":          obj(props{"token": str("bearer token"), "expires_at": datetime()}, "token", "expires_at"),
	"Staff":          obj(props{"id": integer(), "email": str(""), "name": str(""), "role": enum("admin", "facilitator", "presenter"), "disabled": boolean(), "password_set": boolean(), "created_at": datetime()}),
	"StaffWithLink":  obj(props{"id": integer(), "email": str(""), "name": str(""), "role": enum("admin", "facilitator", "presenter"), "disabled": boolean(), "password_set": boolean(), "created_at": datetime(), "password_link": obj(props{"url": str("shown once: only its hash is stored"), "purpose": enum("invite", "reset"), "expires_at": datetime()}, "url", "purpose", "expires_at")}),
	"StaffChange":    obj(props{"role": enum("admin", "facilitator", "presenter"), "disabled": boolean()}),
	"SetPassword":    obj(props{"token": str("from the link /console/password/{token}"), "password": str("12–72 bytes, not a common password")}, "token", "password"),
	"ChangePassword": obj(props{"current_password": str(""), "new_password": str("12–72 bytes, not a common password")}, "current_password", "new_password"),
	"Session":        obj(props{"id": str(""), "created_at": datetime(), "expires_at": datetime(), "client": str("the browser's User-Agent"), "address": str(""), "current": boolean()}),
	"SessionList":    arr(ref("Session")),
	"Ended":          obj(props{"ended": integer()}, "ended"),
	"MemberRole":     obj(props{"role": enum("facilitator", "presenter")}, "role"),
	"Member":         obj(props{"staff_id": integer(), "email": str(""), "name": str(""), "role": enum("facilitator", "presenter"), "staff_role": enum("admin", "facilitator", "presenter"), "added_at": datetime()}),
	"MemberList":     arr(ref("Member")),
	"StaffList":      arr(ref("Staff")),
	"NewStaff":       obj(props{"email": str(""), "name": str(""), "role": enum("admin", "facilitator", "presenter"), "password": str("12–72 bytes, not a common password; leave out to invite")}, "email", "role"),
	"SurveyList":     arr(obj(props{"id": str(""), "version": integer(), "title": ref("Text"), "items": integer(), "sections": integer()})),
	"Text":           map[string]any{"type": "object", "description": "text per language code; en always present", "additionalProperties": str("")},
	"CreateStudy":    obj(props{"survey": str("a bundled survey id, e.g. cart-cd"), "definition": str("an uploaded YAML definition"), "title": str(""), "contact": str("")}),
	"Study":          obj(props{"id": integer(), "survey": str(""), "title": str(""), "state": enum("active", "finished"), "contact": str(""), "definition_hash": str("sha256 of the stored definition"), "created_at": datetime(), "finished_at": datetime(), "rounds": arr(ref("Round")), "definition": map[string]any{"type": "object", "description": "the parsed survey definition"}}),
	"StudyList":      arr(ref("Study")),
	"PanelistInput":  obj(props{"name": str(""), "email": str(""), "group": str("a stakeholder group id of the definition"), "country": str(""), "language": str("e.g. en, de")}, "name", "email", "group"),
	"Panelist":       obj(props{"id": integer(), "pseudonym": str("P0001…, used in exports"), "name": str(""), "email": str(""), "group": str(""), "country": str(""), "language": str(""), "consented": boolean(), "withdrawn": boolean()}),
	"PanelistList":   arr(ref("Panelist")),
	"RowProblem":     obj(props{"row": integer(), "line": integer(), "field": str(""), "message": str("")}),
	"ImportPreview":  obj(props{"rows": arr(ref("PanelistInput")), "problems": arr(ref("RowProblem"))}),
	"ItemSpec":       map[string]any{"oneOf": []any{str("an item id"), obj(props{"id": str(""), "section": str(""), "label": ref("Text"), "description": ref("Text"), "unit": str(""), "categories": arr(str("")), "proposed_tier": enum("core", "expansion"), "module": str(""), "derived_from": arr(str("")), "reason": str("why the item is added, reworded or merged (required from round 2)")}, "id")}},
	"OpenRound": obj(props{"deadline": datetime(), "items": arr(ref("ItemSpec")), "panelists": arr(integer()),
		"dropped": map[string]any{"type": "object", "additionalProperties": str("why an item of the previous round without consensus is left out"), "description": "item id → reason"}}),
	"Privacy":          obj(props{"retention_days": map[string]any{"type": []string{"integer", "null"}}, "erase_after": datetime(), "erased_at": datetime()}),
	"Retention":        obj(props{"retention_days": map[string]any{"type": []string{"integer", "null"}, "minimum": 0, "maximum": 36500}}, "retention_days"),
	"Erased":           obj(props{"panelists": integer(), "invitations": integer(), "messages": integer()}),
	"Withdrawal":       obj(props{"answers": enum("keep", "remove_open")}),
	"RoundUpdate":      obj(props{"deadline": datetime()}),
	"Round":            obj(props{"number": integer(), "state": enum("open", "closed"), "deadline": datetime(), "opened_at": datetime(), "closed_at": datetime(), "rule": map[string]any{"type": "object"}, "rule_hash": str(""), "items": arr(map[string]any{"type": "object"})}),
	"Proposal":         obj(props{"from_round": integer(), "items": arr(ref("ItemSpec")), "leaving": map[string]any{"type": "object", "additionalProperties": str("")}, "added_suggestions": arr(integer()), "panelists": arr(integer())}),
	"CloseSummary":     obj(props{"round": integer(), "closed_at": datetime(), "invited": integer(), "submitted": integer(), "items": integer(), "classes": map[string]any{"type": "object", "additionalProperties": integer()}, "kendall": map[string]any{"type": "object"}, "rule": str("")}),
	"Progress":         map[string]any{"type": "object", "description": "counts per state, group and country; never ratings"},
	"IssueInvitations": obj(props{"panelists": arr(integer()), "send": boolean()}),
	"LinkList":         arr(obj(props{"invitation_id": str(""), "panelist_id": integer(), "pseudonym": str(""), "name": str(""), "email": str(""), "token": str(""), "url": str(""), "expires_at": datetime()})),
	"Queued":           obj(props{"queued": integer()}),
	"SuggestionInput":  obj(props{"label": str(""), "rationale": str("")}, "label"),
	"Suggestion":       obj(props{"id": integer(), "round": integer(), "label": str(""), "rationale": str(""), "created_at": datetime(), "status": enum("new", "accepted", "merged", "rejected"), "item_id": str(""), "note": str("")}),
	"SuggestionList":   arr(ref("Suggestion")),
	"DecisionInput": obj(props{"item": str(""), "tier": enum("core", "expansion", "excluded"), "module": str("required with expansion: one of the definition's modules"),
		"reason": str("why the committee decided this")}, "item", "tier", "reason"),
	"Decision": obj(props{"id": integer(), "item": str(""), "tier": enum("core", "expansion", "excluded", "undecided"), "module": str(""),
		"basis": enum("committee", "meeting_vote"), "reason": str(""), "at": datetime(), "by": str(""), "provisional": boolean(),
		"meeting": map[string]any{"type": "object", "description": "meeting, question, vote {kind, tier, module, counts}, voters, abstained, groups, group_votes, rule, rule_hash"}}),
	"DecisionList": arr(ref("Decision")),
	"Outcome": obj(props{"study": map[string]any{"type": "object"}, "rules": map[string]any{"type": "object"}, "counts": map[string]any{"type": "object"},
		"groups": arr(map[string]any{"type": "object"}), "items": arr(map[string]any{"type": "object"}), "generated_at": datetime(), "software": str("")}),
	"Triage":        obj(props{"decision": enum("accept", "merge", "reject"), "item_id": str(""), "section": str(""), "note": str("")}, "decision"),
	"MessageList":   arr(map[string]any{"type": "object"}),
	"AuditList":     arr(map[string]any{"type": "object"}),
	"Answer":        obj(props{"item": str(""), "rating": map[string]any{"type": []string{"integer", "null"}}, "unable": boolean(), "placement": str(""), "comment": str("at most 2000 characters"), "reason": str("at most 1000 characters")}, "item"),
	"Answers":       obj(props{"answers": arr(ref("Answer"))}, "answers"),
	"Saved":         obj(props{"saved": integer(), "round": integer()}),
	"Submitted":     obj(props{"submitted_at": datetime()}),
	"Questionnaire": map[string]any{"type": "object", "description": "study, round, editable, consented, submitted_at, items (with feedback from round 2), answers, scale, placement"},
	"object":        map[string]any{"type": "object"},
	"MeetingInput":  obj(props{"title": str(""), "date": str("YYYY-MM-DD"), "place": str(""), "items": arr(str("item ids in order; leave out for the ranked undecided items"))}, "title", "date"),
	"MeetingItems":  obj(props{"items": arr(str("item id"))}, "items"),
	"Question":      obj(props{"question": enum("proposal", "options"), "tier": enum("core", "expansion", "excluded"), "module": str("with tier expansion")}, "question"),
	"JoinAction":    obj(props{"join": enum("open", "close", "new_code")}, "join"),
	"MeetingList":   arr(obj(props{"id": integer(), "title": str(""), "date": str(""), "place": str(""), "state": enum("running", "ended")})),
	"Meeting": obj(props{"id": integer(), "study_id": integer(), "title": str(""), "date": str(""), "place": str(""), "state": enum("running", "ended"),
		"join_code": str(""), "join_open": boolean(), "join_url": str(""), "open": str("the item whose vote is open"), "attendees": integer(),
		"attendee_groups": map[string]any{"type": "object", "additionalProperties": integer()}, "rule": map[string]any{"type": "object"}, "min_group_size": integer(),
		"items": arr(map[string]any{"type": "object", "description": "item, label, section, closeness {reason, pct_high, threshold, pct_distance, placement, placement_distance, groups_disagree, distance}, position, state, question, options, votes_cast (open), result (closed)"})}),
	"JoinInput":     obj(props{"code": str("the code on the screen"), "name": str(""), "group": str("a stakeholder group id of the study")}, "code"),
	"Joined":        obj(props{"token": str("attendee bearer token"), "expires_at": datetime(), "meeting": integer(), "title": str(""), "name": str(""), "group": str("")}),
	"VoteInput":     obj(props{"item": str(""), "option": str("agree, disagree, abstain (proposal); core, expansion:<module>, exclude, abstain (options)")}, "item", "option"),
	"VoteAck":       obj(props{"item": str(""), "option": str("")}),
	"Attending":     obj(props{"meeting": integer(), "title": str(""), "state": str(""), "group": str(""), "open": map[string]any{"type": []string{"object", "null"}}}),
	"Pulse":         obj(props{"meeting": integer(), "state": str(""), "join_open": boolean(), "join_code": str(""), "attendees": integer(), "open": str(""), "votes_cast": integer(), "closed": integer()}),
	"MeetingReport": map[string]any{"type": "object", "description": "meeting, study, title, date, place, state, attendees, attendee_groups, rule, rule_hash, min_group_size, items"},
}

type props map[string]any

func obj(p props, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": p}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func str(desc string) map[string]any {
	if desc == "" {
		return map[string]any{"type": "string"}
	}
	return map[string]any{"type": "string", "description": desc}
}
func integer() map[string]any { return map[string]any{"type": "integer"} }
func boolean() map[string]any { return map[string]any{"type": "boolean"} }
func datetime() map[string]any {
	return map[string]any{"type": []string{"string", "null"}, "format": "date-time"}
}
func arr(items any) map[string]any    { return map[string]any{"type": "array", "items": items} }
func ref(name string) map[string]any  { return map[string]any{"$ref": "#/components/schemas/" + name} }
func enum(v ...string) map[string]any { return map[string]any{"type": "string", "enum": v} }

var ginParam = regexp.MustCompile(`:([a-z_]+)`)

// openAPIPath turns a Gin path into an OpenAPI one (":sid" → "{sid}").
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// buildOpenAPI makes the document from the route table.
func (s *Server) buildOpenAPI() ([]byte, error) {
	paths := map[string]map[string]any{}
	for _, rt := range s.apiRoutes() {
		p := openAPIPath(rt.path)
		d := opDocs[rt.method+" "+p]
		op := map[string]any{"summary": d.summary, "operationId": strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(p)}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(rt.path, -1) {
			schema := integer()
			if m[1] == "id" && strings.HasPrefix(rt.path, "/invitations") || m[1] == "file" || m[1] == "item" {
				schema = str("")
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": schema})
		}
		if params != nil {
			op["parameters"] = params
		}
		switch d.request {
		case "":
		case "csv|json":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": arr(ref("PanelistInput"))},
				"text/csv":         map[string]any{"schema": str("header name,email,group,country,language; comma or semicolon; UTF-8 with or without BOM")}}}
		default:
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(d.request)}}}
		}
		status := d.status
		if status == 0 {
			status = 200
		}
		resp := map[string]any{"description": http.StatusText(status)}
		switch d.response {
		case "":
			status = 204
			resp["description"] = "No Content"
		case "file":
			resp["content"] = map[string]any{"application/json": map[string]any{}, "text/csv": map[string]any{}, "text/html": map[string]any{},
				"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": map[string]any{}}
		default:
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": ref(d.response)}}
		}
		errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		op["responses"] = map[string]any{strconv.Itoa(status): resp, "default": errResp}
		switch rt.access {
		case public:
			op["security"] = []any{}
		case expert:
			op["security"] = []any{map[string]any{"invite": []any{}}}
		case attendee:
			op["security"] = []any{map[string]any{"attendee": []any{}}}
		default:
			op["security"] = []any{map[string]any{"staff": []any{}}}
			op["x-roles"] = map[string][]string{anyStaff: {"admin", "facilitator", "presenter"}, runners: {"admin", "facilitator"}, adminOnly: {"admin"}}[rt.access]
		}
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "delphi API", "version": "1",
			"description": "Run Delphi consensus studies: panel, rounds, invitations, answers, snapshots and exports. Errors are {\"error\": {code, message, field}}."},
		"servers": []any{map[string]any{"url": s.BaseURL + "/api/v1"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"staff":    map[string]any{"type": "http", "scheme": "bearer", "description": "token from POST /auth/login"},
				"invite":   map[string]any{"type": "http", "scheme": "bearer", "description": "an expert's invite token (the part after /r/ in their link)"},
				"attendee": map[string]any{"type": "http", "scheme": "bearer", "description": "a meeting attendee's token from POST /meetings/join"},
			},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func (s *Server) apiOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300") // public, and the same for everyone
	c.Data(http.StatusOK, "application/json", s.openapi)
}
