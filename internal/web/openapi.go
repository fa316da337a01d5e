package web

// The OpenAPI document of /api/v1 is built once, at start, from the route table (apiRoutes in
// routes.go) and opDocs below; its schemas are generated from the Go types the handlers read and
// write (openapi3gen), so the document cannot say something the code does not do.
//
// To add an API route:
//  1. add it to apiRoutes() (method, Gin path, access rule, handler);
//  2. add one entry to opDocs, keyed "METHOD /path" with the path as OpenAPI writes it
//     ("/studies/{sid}"): a summary, a value of the Go type the handler decodes the body into
//     (request; nil for no body), a value of the Go type it answers with (response; nil for
//     204 No Content), the success status when it is not 200, and the values of parameters
//     that take only a few (params; a name not in the path declares an optional query parameter).
//
// Handlers answer with named types, never gin.H or an anonymous struct: the type is the schema
// (a component named after it). A type that writes its own JSON (MarshalJSON, MarshalJSONTo)
// says what it writes in customSchema. TestOpenAPIMatchesRoutes fails when a route has no entry
// or an entry no route, and every API test checks its requests and responses against the
// document (env_test.go), so a handler that answers something else fails its tests.

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// opDoc documents one API route.
type opDoc struct {
	summary  string
	request  any  // a value of the JSON body's Go type; nil: no body; panelImport{}: JSON or CSV
	optional bool // the body may be left out (the handler then uses the zero value)
	response any  // a value of the 2xx JSON answer's Go type; nil: 204 No Content; files{…}: a download
	status   int  // the success status; 0 means 200 (204 when response is nil)
	created  bool // 201 Created as well as status: a PUT that may create
	// params are the values parameters take: a path parameter's, or an optional query
	// parameter's (declared by being named here)
	params map[string][]string
}

// panelImport stands for the panel import's body: a JSON array of delphi.PanelistInput or a
// text/csv file.
type panelImport struct{}

// files stands for a download: the media types it comes in. The document gives them no schema.
type files []string

// openAPIDocument is this document, as GET /openapi.json answers it.
type openAPIDocument map[string]any

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

var opDocs = map[string]opDoc{
	"GET /openapi.json":                          {summary: "This document", response: openAPIDocument{}},
	"POST /auth/login":                           {summary: "Sign in as staff; returns a bearer token", request: loginInput{}, response: loginJSON{}},
	"POST /auth/logout":                          {summary: "End this session: its token and cookie stop working at once"},
	"POST /auth/password":                        {summary: "Choose a password with a one-time invitation or reset link's token; signs in", request: setPasswordInput{}, response: loginJSON{}},
	"GET /me":                                    {summary: "The signed-in staff member", response: delphi.Staff{}},
	"PUT /me/password":                           {summary: "Change one's own password (12+ characters, not a common one); other sessions end", request: changePasswordInput{}},
	"GET /me/sessions":                           {summary: "One's own live sessions", response: []delphi.SessionInfo{}},
	"GET /studies/{sid}/privacy":                 {summary: "The study's retention of personal data and its erasure", response: delphi.Privacy{}},
	"PUT /studies/{sid}/retention":               {summary: "Days after finishing that the panel's names, emails and links are kept (null: until an admin erases)", request: retentionInput{}, response: delphi.Privacy{}},
	"POST /studies/{sid}/erase":                  {summary: "Erase a finished study's personal data now (admins): names, emails, links, outbox; answers and reports stay", response: store.Erased{}},
	"GET /studies/{sid}/members":                 {summary: "Who works on the study, and as what", response: []delphi.Member{}},
	"PUT /studies/{sid}/members/{staff_id}":      {summary: "Add a member to the study (201) or change their role there (200)", request: memberRoleInput{}, response: delphi.Member{}, created: true},
	"DELETE /studies/{sid}/members/{staff_id}":   {summary: "Remove a member from the study"},
	"GET /staff/{id}":                            {summary: "A staff account (admins)", response: delphi.Staff{}},
	"PATCH /staff/{id}":                          {summary: "Change a staff account's role or disable it (admins); its sessions end; the last admin cannot be demoted or disabled (409)", request: delphi.StaffChange{}, response: delphi.Staff{}},
	"POST /staff/{id}/password-reset":            {summary: "Reset a password (admins): the old one stops working, sessions end, and a one-time link lets the member choose a new one", response: staffJSON{}},
	"GET /staff/{id}/sessions":                   {summary: "A staff member's live sessions (admins)", response: []delphi.SessionInfo{}},
	"DELETE /staff/{id}/sessions":                {summary: "End all of a staff member's sessions (admins)", response: endedJSON{}},
	"DELETE /staff/{id}/sessions/{session}":      {summary: "End one session of a staff member (admins)", response: endedJSON{}},
	"GET /surveys":                               {summary: "Survey definitions studies can be created from", response: []surveyJSON{}},
	"GET /studies":                               {summary: "List studies", response: []studyJSON{}},
	"POST /studies":                              {summary: "Create a study from a bundled survey or an uploaded definition", request: createStudyInput{}, response: studyJSON{}, status: 201},
	"GET /studies/{sid}":                         {summary: "A study with its definition and rounds", response: studyJSON{}},
	"PATCH /studies/{sid}":                       {summary: "Change the study's contact (name and email experts see on every page and in every email; round 1 needs the email) or its time zone (IANA name; 422 for an unknown one)", request: delphi.StudyUpdate{}, response: studyJSON{}},
	"POST /studies/{sid}/finish":                 {summary: "Finish a study after its last round", response: studyJSON{}},
	"GET /studies/{sid}/panelists":               {summary: "The panel (names and emails: facilitators and admins only)", response: []delphi.Panelist{}},
	"POST /studies/{sid}/panelists":              {summary: "Add panelists from a JSON array or text/csv, all or nothing", request: panelImport{}, response: []delphi.Panelist{}, status: 201},
	"POST /studies/{sid}/panelists/preview":      {summary: "Check a panel import without writing anything", request: panelImport{}, response: delphi.ImportPreview{}},
	"PATCH /studies/{sid}/panelists/{pid}":       {summary: "Edit a panelist", request: delphi.PanelistInput{}, response: delphi.Panelist{}},
	"DELETE /studies/{sid}/panelists/{pid}":      {summary: "Withdraw a panelist (their links stop working); ?answers=remove_open deletes their answers in rounds still open, else they stay", params: map[string][]string{"answers": {delphi.KeepAnswers, delphi.RemoveOpenAnswers}}},
	"GET /studies/{sid}/rounds/next":             {summary: "The proposed item set and panel of the next round", response: delphi.Proposal{}},
	"POST /studies/{sid}/rounds":                 {summary: "Open the next round (defaults: the proposal)", request: delphi.OpenRoundInput{}, optional: true, response: roundJSON{}, status: 201},
	"GET /studies/{sid}/rounds/{n}":              {summary: "A round with its items and frozen rule", response: roundJSON{}},
	"PATCH /studies/{sid}/rounds/{n}":            {summary: "Change an open round's deadline", request: roundUpdateInput{}, response: roundJSON{}},
	"POST /studies/{sid}/rounds/{n}/close":       {summary: "Close a round and store its snapshot", response: closeSummaryJSON{}},
	"GET /studies/{sid}/rounds/{n}/progress":     {summary: "Counts of submitted / started / not started, by group and country; of links issued, emailed, opened", response: delphi.Progress{}},
	"GET /studies/{sid}/rounds/{n}/invitations":  {summary: "Per invited panelist: link issued, email sent (or failed, why), link opened, round submitted; with the counts", response: delphi.RoundInvitations{}},
	"POST /studies/{sid}/rounds/{n}/invitations": {summary: "Issue (or re-issue) invite links; optionally queue the emails", request: invitationsInput{}, optional: true, response: []delphi.Link{}, status: 201},
	"POST /studies/{sid}/rounds/{n}/reminders":   {summary: "Queue reminders to invited panelists who have not submitted", response: queuedJSON{}, status: 201},
	"GET /studies/{sid}/rounds/{n}/{file}": {summary: "Exports of a closed round: report.json, report.csv, report.xlsx, report.html, answers.csv (a new pseudonym per round), answers-linked.csv (the study's pseudonyms; facilitators and admins), outcome.csv, comments.csv, suggestions.csv. Stakeholder groups and countries under the study's min_group_size are withheld (complementary suppression; report.json says what in \"disclosure\"); ?disclosure=full, admins only (403 otherwise), exports every cell, audited and marked. answers files carry X-Delphi-Small-Cells: the number of the panel's group × country cells under min_group_size. 503 with Retry-After when every export build slot is taken", response: files{"application/json", "text/csv", xlsxType, "text/html"},
		params: map[string][]string{"file": {"report.json", "report.csv", "report.xlsx", "report.html", "answers.csv", "answers-linked.csv", "outcome.csv", "comments.csv", "suggestions.csv"}, "disclosure": {"full"}}},
	"GET /studies/{sid}/decisions":                {summary: "The decisions of meetings and the committee on the study's items, oldest first", response: []outcome.Decision{}},
	"POST /studies/{sid}/decisions":               {summary: "Record a committee decision on an item (provisional while the study runs); audited", request: delphi.DecisionInput{}, response: outcome.Decision{}, status: 201},
	"GET /studies/{sid}/outcome.json":             {summary: "The outcome (outcome-definitions.md §4): frozen rules with hashes, groups, one entry per item ever asked", response: report.OutcomeDoc{}},
	"GET /studies/{sid}/outcome/redcap.csv":       {summary: "The agreed data set as a REDCap data dictionary (CSV, 18 columns)", response: files{"text/csv"}},
	"GET /studies/{sid}/outcome/odm.xml":          {summary: "The agreed data set as CDISC ODM 1.3.2 metadata (XML)", response: files{"application/xml"}},
	"GET /studies/{sid}/suggestions":              {summary: "Suggested items with their triage status", response: []delphi.Suggestion{}},
	"POST /studies/{sid}/suggestions/{id}/triage": {summary: "Accept, merge or reject a suggestion", request: delphi.Triage{}},
	"GET /studies/{sid}/outbox":                   {summary: "Queued and sent emails", response: []outboxMessageJSON{}},
	"GET /studies/{sid}/audit":                    {summary: "The study's audit log (admins)", response: []store.AuditEntry{}},
	"DELETE /invitations/{id}":                    {summary: "Revoke an invite link"},
	"GET /studies/{sid}/meetings":                 {summary: "The study's consensus meetings, newest first", response: []meetingRow{}},
	"POST /studies/{sid}/meetings":                {summary: "Create a consensus meeting with a join code; without items, the items the outcome leaves undecided, closest first", request: delphi.MeetingInput{}, response: meetingJSON{}, status: 201},
	"POST /meetings/join":                         {summary: "Join a meeting with its code; a panelist sending their invite token joins under their own name and group; returns an attendee token", request: delphi.JoinInput{}, response: delphi.Joined{}, status: 201},
	"PUT /meetings/vote":                          {summary: "Attendee: vote on the open item (replaces one's earlier vote until it closes); 2xx means durable", request: delphi.VoteInput{}, response: delphi.VoteInput{}},
	"GET /meetings/current":                       {summary: "Attendee: the meeting and its open vote, with one's own vote", response: delphi.AttendeeView{}},
	"GET /meetings/{mid}":                         {summary: "A meeting: its list with closeness, the open vote with the count of votes cast (not their split), results, attendees per group", response: meetingJSON{}},
	"PUT /meetings/{mid}/items":                   {summary: "Edit and reorder a meeting's list (items voted on stay)", request: meetingItemsInput{}, response: meetingJSON{}},
	"POST /meetings/{mid}/items/{item}/open":      {summary: "Open the vote on an item: a proposal (tier, module) or options; one vote open at a time (409)", request: delphi.Question{}, response: meetingJSON{}},
	"POST /meetings/{mid}/items/{item}/close":     {summary: "Close the open vote: it becomes a decision (outcome-definitions.md §3) and the votes are untied from their attendees; audited", response: meetingJSON{}},
	"PUT /meetings/{mid}/join":                    {summary: "Open or close joining, or give the meeting a new code (the old one stops working)", request: joinActionInput{}, response: meetingJSON{}},
	"POST /meetings/{mid}/end":                    {summary: "End the meeting: joining closes, no more votes", response: meetingJSON{}},
	"GET /meetings/{mid}/events":                  {summary: "Server-sent events: a pulse event (delphi.Pulse: state, open item, votes cast, attendees) at the start and after every change; 503 with Retry-After when too many streams are open", response: files{"text/event-stream"}},
	"GET /meetings/{mid}/report.json":             {summary: "The meeting's record: attendees by group (never by name), each item's question, counts and result; audited", response: delphi.MeetingReport{}},
	"GET /meetings/{mid}/report.csv":              {summary: "The meeting's record as CSV; audited", response: files{"text/csv"}},
	"GET /staff":                                  {summary: "Staff accounts (admins)", response: []delphi.Staff{}},
	"POST /staff":                                 {summary: "Add a staff account (admins); without a password it is invited, and the answer carries the one-time link to choose one", request: delphi.NewStaff{}, response: staffJSON{}, status: 201},
	"GET /respond":                                {summary: "Expert: the current round, saved answers and feedback", response: respondJSON{}},
	"POST /respond/consent":                       {summary: "Expert: record consent", response: consentJSON{}},
	"PUT /respond/answers":                        {summary: "Expert: save answers (each replaces that item's answer; idempotent; all or nothing)", request: answersInput{}, response: savedJSON{}},
	"POST /respond/submit":                        {summary: "Expert: submit the round (answers stay editable until it closes)", response: submittedJSON{}},
	"GET /respond/my-data":                        {summary: "Expert: everything stored about them (panel record, consent and its version, links, answers, suggestions), as a JSON file", response: delphi.ExpertData{}},
	"POST /respond/withdraw":                      {summary: "Expert: withdraw from the study; their link stops working; answers in open rounds kept or removed", request: withdrawalInput{}, response: withdrawnJSON{}},
	"POST /respond/suggestions":                   {summary: "Expert: suggest a missing item (round 1)", request: suggestionInput{}, response: delphi.Suggestion{}, status: 201},
}

var ginParam = regexp.MustCompile(`:([a-z_]+)`)

// openAPIPath turns a Gin path into an OpenAPI one (":sid" → "{sid}").
func openAPIPath(p string) string { return ginParam.ReplaceAllString(p, "{$1}") }

// buildOpenAPI makes the document from the route table and opDocs, encoded. TestOpenAPIValid
// loads and validates it (every $ref resolves, every schema is one), as every API test does.
func (s *Server) buildOpenAPI() ([]byte, error) {
	doc, err := s.openAPI()
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// openAPI makes the document.
func (s *Server) openAPI() (*openapi3.T, error) {
	gen := newSchemaGen()
	errResp := &openapi3.ResponseRef{Ref: "#/components/responses/Error"}
	paths := openapi3.NewPaths()
	for _, rt := range s.apiRoutes() {
		p := openAPIPath(rt.path)
		key := rt.method + " " + p
		d, ok := opDocs[key]
		if !ok {
			return nil, fmt.Errorf("route %s has no entry in opDocs", key)
		}
		op := openapi3.NewOperation()
		op.Summary = d.summary
		op.OperationID = strings.ToLower(rt.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_", "-", "_").Replace(p)
		for _, m := range ginParam.FindAllStringSubmatch(rt.path, -1) {
			schema := openapi3.NewInt64Schema().WithMin(1)
			if m[1] == "id" && strings.HasPrefix(rt.path, "/invitations") || m[1] == "file" || m[1] == "session" || m[1] == "item" {
				schema = openapi3.NewStringSchema()
			}
			if v, ok := d.params[m[1]]; ok {
				schema.Enum = stringsAny(v)
			}
			op.AddParameter(openapi3.NewPathParameter(m[1]).WithSchema(schema))
		}
		for _, name := range slices.Sorted(maps.Keys(d.params)) {
			if !strings.Contains(rt.path, ":"+name) {
				op.AddParameter(openapi3.NewQueryParameter(name).WithSchema(openapi3.NewStringSchema().WithEnum(stringsAny(d.params[name])...)))
			}
		}
		switch req := d.request.(type) {
		case nil:
		case panelImport:
			rows, err := gen.ref([]delphi.PanelistInput{})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			csv := openapi3.NewStringSchema()
			csv.Description = "header name,email,group,country,language (any order); comma or semicolon; UTF-8 with or without BOM"
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(openapi3.Content{
				"application/json": openapi3.NewMediaType().WithSchemaRef(rows),
				"text/csv":         openapi3.NewMediaType().WithSchema(csv)})}
		default:
			ref, err := gen.ref(req)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(!d.optional).WithJSONSchemaRef(ref)}
		}
		status := cmp.Or(d.status, http.StatusOK)
		resp := openapi3.NewResponse()
		switch out := d.response.(type) {
		case nil:
			status = http.StatusNoContent
		case files:
			resp.Content = openapi3.Content{}
			for _, t := range out {
				resp.Content[t] = openapi3.NewMediaType()
			}
		default:
			ref, err := gen.ref(out)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			resp.WithJSONSchemaRef(ref)
		}
		resp.WithDescription(http.StatusText(status))
		op.Responses = openapi3.NewResponses(openapi3.WithStatus(status, &openapi3.ResponseRef{Value: resp}))
		op.Responses.Set("default", errResp)
		if d.created {
			created := *resp
			created.WithDescription(http.StatusText(http.StatusCreated))
			op.Responses.Set(strconv.Itoa(http.StatusCreated), &openapi3.ResponseRef{Value: &created})
		}
		switch rt.access {
		case public:
			op.Security = &openapi3.SecurityRequirements{}
		case expert:
			op.Security = openapi3.NewSecurityRequirements().With(openapi3.NewSecurityRequirement().Authenticate("invite")).
				With(openapi3.NewSecurityRequirement().Authenticate("expertCookie"))
		case attendee:
			op.Security = openapi3.NewSecurityRequirements().With(openapi3.NewSecurityRequirement().Authenticate("attendee")).
				With(openapi3.NewSecurityRequirement().Authenticate("attendeeCookie"))
		default:
			op.Security = openapi3.NewSecurityRequirements().With(openapi3.NewSecurityRequirement().Authenticate("staff")).
				With(openapi3.NewSecurityRequirement().Authenticate("staffCookie"))
			op.Extensions = map[string]any{"x-roles": map[string][]string{anyStaff: {"admin", "facilitator", "presenter"},
				runners: {"admin", "facilitator"}, adminOnly: {"admin"}}[rt.access]}
		}
		item := paths.Value(p)
		if item == nil {
			item = &openapi3.PathItem{}
			paths.Set(p, item)
		}
		item.SetOperation(rt.method, op)
	}
	for key := range opDocs {
		method, p, _ := strings.Cut(key, " ")
		if item := paths.Value(p); item == nil || item.GetOperation(method) == nil {
			return nil, fmt.Errorf("opDocs documents %s, which is no route", key)
		}
	}
	errSchema, err := gen.ref(apiErrorBody{})
	if err != nil {
		return nil, err
	}
	schemas, err := gen.components()
	if err != nil {
		return nil, err
	}
	return &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "delphi API", Version: "1",
			Description: "Run Delphi consensus studies: panel, rounds, invitations, answers, snapshots and exports. " +
				"Errors are {\"error\": {code, message, field}} with 400 (malformed), 401, 403, 404, 405, 409 (illegal state change), " +
				"410 (expired or revoked link), 413, 415, 422 (invalid values), 429, 503."},
		Servers: openapi3.Servers{{URL: s.BaseURL + "/api/v1"}},
		Paths:   paths,
		Components: &openapi3.Components{
			Schemas: schemas,
			Responses: openapi3.ResponseBodies{"Error": &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription("an error: code, message, and the field or CSV rows at fault").WithJSONSchemaRef(errSchema)}},
			SecuritySchemes: openapi3.SecuritySchemes{
				"staff": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().
					WithDescription("token from POST /auth/login or /auth/password")},
				"invite": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().
					WithDescription("an expert's invite token (the part after /r/ in their link)")},
				"attendee": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().
					WithDescription("a meeting attendee's token, from POST /meetings/join")},
				"attendeeCookie": &openapi3.SecuritySchemeRef{Value: openapi3.NewCSRFSecurityScheme().WithIn("cookie").WithName(attendeeCookie).
					WithDescription("an attendee's cookie on their phone, set by the join form; a request other than GET also sends its CSRF token as X-CSRF-Token")},
				// the pages' scripts call the API with the browser's session
				"staffCookie": &openapi3.SecuritySchemeRef{Value: openapi3.NewCSRFSecurityScheme().WithIn("cookie").WithName(staffCookie).
					WithDescription("the console's session cookie; a request other than GET also sends its CSRF token as X-CSRF-Token")},
				"expertCookie": &openapi3.SecuritySchemeRef{Value: openapi3.NewCSRFSecurityScheme().WithIn("cookie").WithName(expertCookie).
					WithDescription("an expert's session cookie, set by their link; a request other than GET also sends its CSRF token as X-CSRF-Token")},
			},
		},
	}, nil
}

func stringsAny(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

// schemaGen makes schemas from Go types with openapi3gen: structs become components named after
// their type (web's fooJSON is Foo), and customSchema says what the types that write their own
// JSON write.
type schemaGen struct {
	gen   *openapi3gen.Generator
	names map[reflect.Type]string
	comps map[string]*openapi3.Schema // struct schemas, by component name
	roots []*openapi3.SchemaRef
	err   error
}

func newSchemaGen() *schemaGen {
	g := &schemaGen{names: map[reflect.Type]string{}, comps: map[string]*openapi3.Schema{}}
	g.gen = openapi3gen.NewGenerator(
		openapi3gen.UseAllExportedFields(), // encoding/json writes untagged fields too (store.AuditEntry)
		openapi3gen.CreateFieldNameGenerator(jsonName),
		openapi3gen.CreateTypeNameGenerator(g.name),
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true, ExportTopLevelSchema: true}),
		openapi3gen.SchemaCustomizer(g.customize))
	return g
}

// jsonName is a field's name as encoding/json writes it: its json tag's, else the Go name
// (openapi3gen would take a yaml tag's).
func jsonName(f reflect.StructField, _ string) string {
	if n, _, _ := strings.Cut(f.Tag.Get("json"), ","); n != "" {
		return n
	}
	return f.Name
}

// schemaNames names the types whose name another type has too.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[outcome.Placement](): "OutcomePlacement",
	reflect.TypeFor[report.RoundRule]():  "OutcomeRoundRule",
	reflect.TypeFor[staffJSON]():         "StaffWithLink",
	reflect.TypeFor[feedbackJSON]():      "ItemFeedback",
	reflect.TypeFor[respondJSON]():       "Questionnaire",
	reflect.TypeFor[respondItem]():       "QuestionnaireItem",
	reflect.TypeFor[panelJSON]():         "PanelFeedback",
	reflect.TypeFor[apiErrorBody]():      "Error",
	reflect.TypeFor[apiError]():          "ErrorDetail",
	reflect.TypeFor[survey.Meeting]():    "MeetingRule",
}

// name is the component name of t: its Go name, capitalised and without web's "JSON" suffix,
// unless schemaNames says otherwise. Two types of one name are an error.
func (g *schemaGen) name(t reflect.Type) string {
	n, ok := schemaNames[t]
	if !ok {
		n = t.Name()
		if t.PkgPath() == reflect.TypeFor[Server]().PkgPath() {
			n = strings.TrimSuffix(n, "JSON")
			if n != "" {
				r := []rune(n)
				r[0] = unicode.ToUpper(r[0])
				n = string(r)
			}
		}
	}
	if n == "" {
		return ""
	}
	for other, on := range g.names {
		if on == n && other != t {
			g.err = errors.Join(g.err, fmt.Errorf("schema name %s is both %v and %v: name one in schemaNames", n, other, t))
		}
	}
	g.names[t] = n
	return n
}

var timeType = reflect.TypeFor[time.Time]()

// customize adjusts each generated schema (name is the field's, tag its struct tag) to say what
// encoding/json writes and decodeJSON reads; customSchema has the last word.
func (g *schemaGen) customize(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	opts := strings.Split(tag.Get("json"), ",")[1:]
	switch t.Kind() {
	case reflect.Slice, reflect.Map:
		// a nil slice or map is written as null unless the field is omitempty
		if name != "_root" && !slices.Contains(opts, "omitempty") && !slices.Contains(opts, "omitzero") {
			schema.Nullable = true
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float64:
		if slices.Contains(opts, "string") { // json:",string" writes the number as a string
			schema.Type, schema.Format, schema.Min, schema.Max = &openapi3.Types{"string"}, "", nil, nil
			schema.Pattern = `^-?[0-9]+$`
		}
	case reflect.Struct:
		if t == timeType {
			break
		}
		g.structSchema(t, schema)
		if n := g.name(t); n != "" {
			g.comps[n] = schema
		}
	}
	if custom, ok := customSchema[t]; ok {
		custom(schema)
	}
	return nil
}

// structSchema makes a struct's schema say what encoding/json writes and what decodeJSON reads:
// no other members (decodeJSON refuses unknown fields), and a member whose field is a pointer
// to a struct may be null.
func (g *schemaGen) structSchema(t reflect.Type, schema *openapi3.Schema) {
	if schema.Properties == nil {
		schema.Type = &openapi3.Types{"object"}
		schema.Properties = openapi3.Schemas{}
	}
	no := false
	schema.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	for name, values := range fieldEnums[t] {
		p := schema.Properties[name]
		if p == nil || p.Value == nil || p.Ref != "" && strings.HasPrefix(p.Ref, "#/") {
			g.err = errors.Join(g.err, fmt.Errorf("fieldEnums names %v.%s, which is no string member", t, name))
			continue
		}
		for _, v := range values {
			p.Value.Enum = append(p.Value.Enum, v)
		}
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() != reflect.Pointer || ft.Elem().Kind() != reflect.Struct || ft.Elem() == timeType {
			continue
		}
		p := schema.Properties[jsonName(f, "")]
		if p == nil || !strings.HasPrefix(p.Ref, "#/components/schemas/") {
			continue
		}
		schema.Properties[jsonName(f, "")] = &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true, AllOf: openapi3.SchemaRefs{p}}}
	}
}

// fieldEnums are the values some string members take, by type and member.
var fieldEnums = func() map[reflect.Type]map[string][]string {
	roles := []string{delphi.RoleAdmin, delphi.RoleFacilitator, delphi.RolePresenter}
	studyRoles := []string{delphi.RoleFacilitator, delphi.RolePresenter}
	tiers := []string{survey.TierCore, survey.TierExpansion, "excluded", "undecided"}
	return map[reflect.Type]map[string][]string{
		reflect.TypeFor[delphi.Staff]():          {"role": roles},
		reflect.TypeFor[delphi.NewStaff]():       {"role": roles},
		reflect.TypeFor[delphi.StaffChange]():    {"role": roles},
		reflect.TypeFor[delphi.Member]():         {"role": studyRoles, "staff_role": roles},
		reflect.TypeFor[memberRoleInput]():       {"role": studyRoles},
		reflect.TypeFor[passwordLinkJSON]():      {"purpose": {"invite", "reset"}},
		reflect.TypeFor[studyJSON]():             {"state": {"active", "finished"}},
		reflect.TypeFor[roundJSON]():             {"state": {"open", "closed"}},
		reflect.TypeFor[delphi.PanelistStatus](): {"mail": {"none", "queued", "sent", "failed"}},
		reflect.TypeFor[delphi.Suggestion]():     {"status": {"new", "accepted", "merged", "rejected"}},
		reflect.TypeFor[delphi.Triage]():         {"decision": {"accept", "merge", "reject"}},
		reflect.TypeFor[outcome.Decision]():      {"tier": tiers, "basis": {outcome.BasisCommittee, outcome.BasisMeetingVote}},
		reflect.TypeFor[withdrawnJSON]():         {"answers": {delphi.KeepAnswers, delphi.RemoveOpenAnswers}},
	}
}()

// customSchema says what the types that write their own JSON write.
var customSchema = map[reflect.Type]func(*openapi3.Schema){
	reflect.TypeFor[consensus.Class]():         enumOrNull(consensus.ConsensusIn, consensus.ConsensusOut, consensus.NoConsensus),
	reflect.TypeFor[consensus.Category]():      enumOrNull(consensus.Inappropriate, consensus.Uncertain, consensus.Appropriate),
	reflect.TypeFor[consensus.WilcoxonError](): enumOrNull(consensus.NoPairs, consensus.AllDifferencesZero),
	reflect.TypeFor[consensus.Counts](): func(s *openapi3.Schema) {
		*s = *openapi3.NewObjectSchema().WithAdditionalProperties(openapi3.NewIntegerSchema())
		s.Description = "count per name, in order"
	},
	reflect.TypeFor[consensus.ItemList]():       keyedObject("item id"),
	reflect.TypeFor[consensus.GroupList]():      keyedObject("group"),
	reflect.TypeFor[consensus.RoundList]():      keyedObject("round number"),
	reflect.TypeFor[consensus.StabilityItems](): keyedObject("item id"),
	reflect.TypeFor[consensus.StabilityList](): func(s *openapi3.Schema) {
		one := s.Items
		*s = openapi3.Schema{Nullable: true, Description: "one object for two rounds, a list for more",
			OneOf: openapi3.SchemaRefs{one, openapi3.NewSchemaRef("", openapi3.NewArraySchema().WithItems(one.Value))}}
		s.OneOf[1].Value.Items = one
	},
	reflect.TypeFor[consensus.Scale](): func(s *openapi3.Schema) {
		pair := openapi3.NewArraySchema().WithItems(openapi3.NewIntegerSchema()).WithMinItems(2).WithMaxItems(2)
		bands := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{"low": pair, "mid": pair, "high": pair})
		*s = *openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{
			"min": openapi3.NewIntegerSchema(), "max": openapi3.NewIntegerSchema(), "bands": bands})
		s.Description = "the rating scale and its three bands, [from, to] each"
	},
	reflect.TypeFor[delphi.ItemSpec](): func(s *openapi3.Schema) { // its UnmarshalJSON takes a bare id too
		obj := *s
		*s = openapi3.Schema{Description: "an item id alone keeps the item as defined; an object rewords, merges or adds one",
			OneOf: openapi3.SchemaRefs{openapi3.NewSchemaRef("", openapi3.NewStringSchema()), openapi3.NewSchemaRef("", &obj)}}
	},
	reflect.TypeFor[apiErrorBody]():    required("error"),
	reflect.TypeFor[apiError]():        required("code", "message"),
	reflect.TypeFor[jsontext.Value]():  anyJSON,
	reflect.TypeFor[json.RawMessage](): anyJSON,
}

// enumOrNull is a string of one of values, or null (the zero value).
func enumOrNull[T ~string](values ...T) func(*openapi3.Schema) {
	return func(s *openapi3.Schema) {
		*s = *openapi3.NewStringSchema()
		s.Nullable = true
		for _, v := range values {
			s.Enum = append(s.Enum, string(v))
		}
	}
}

// keyedObject makes a list's schema an object of its items keyed by what.
func keyedObject(what string) func(*openapi3.Schema) {
	return func(s *openapi3.Schema) {
		items := s.Items
		*s = *openapi3.NewObjectSchema()
		s.AdditionalProperties = openapi3.AdditionalProperties{Schema: items}
		s.Description = "keyed by " + what + ", in order"
	}
}

// required marks members every answer carries (only for types never read from a request, where
// decodeJSON takes a missing member as its zero value).
func required(names ...string) func(*openapi3.Schema) {
	return func(s *openapi3.Schema) { s.Required = names }
}

// anyJSON is any JSON value, kept as written.
func anyJSON(s *openapi3.Schema) { *s = openapi3.Schema{Nullable: true, Description: "any JSON value"} }

// ref is the schema of v's type: a $ref to its component for a struct.
func (g *schemaGen) ref(v any) (*openapi3.SchemaRef, error) {
	ref, err := g.gen.GenerateSchemaRef(reflect.TypeOf(v))
	if err != nil {
		return nil, err
	}
	if g.err != nil {
		return nil, g.err
	}
	g.roots = append(g.roots, ref)
	return ref, nil
}

// components returns the component schemas the roots reach, after clearing the names openapi3gen
// leaves in the Ref of schemas that are not components.
func (g *schemaGen) components() (openapi3.Schemas, error) {
	out := openapi3.Schemas{}
	seen := map[*openapi3.Schema]bool{}
	var walk func(r *openapi3.SchemaRef) error
	walk = func(r *openapi3.SchemaRef) error {
		if r == nil {
			return nil
		}
		if name, ok := strings.CutPrefix(r.Ref, "#/components/schemas/"); ok {
			if _, done := out[name]; done {
				return nil
			}
			comp := g.comps[name]
			if comp == nil {
				return fmt.Errorf("no schema for component %s", name)
			}
			out[name] = &openapi3.SchemaRef{Value: comp}
			return walkSchema(comp, seen, walk)
		}
		r.Ref = ""
		if r.Value == nil {
			return nil
		}
		return walkSchema(r.Value, seen, walk)
	}
	for _, r := range g.roots {
		if err := walk(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func walkSchema(s *openapi3.Schema, seen map[*openapi3.Schema]bool, walk func(*openapi3.SchemaRef) error) error {
	if seen[s] {
		return nil
	}
	seen[s] = true
	refs := []*openapi3.SchemaRef{s.Items, s.AdditionalProperties.Schema, s.Not}
	refs = append(refs, s.AllOf...)
	refs = append(refs, s.OneOf...)
	refs = append(refs, s.AnyOf...)
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		refs = append(refs, s.Properties[k])
	}
	for _, r := range refs {
		if err := walk(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) apiOpenAPI(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300") // public, and the same for everyone
	c.Data(http.StatusOK, "application/json", s.openapi)
}
