package report

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
)

// MeetingRuleWords states a meeting rule.
func MeetingRuleWords(r survey.Meeting) string {
	return fmt.Sprintf("carried with at least %d%% of the votes cast (abstentions not counted) and at least %d voters", r.AgreeAtLeast, r.MinVoters)
}

// MeetingQuestion states an item's question ("" before its vote).
func MeetingQuestion(q *delphi.Question) string {
	if q == nil {
		return ""
	}
	return delphi.QuestionText(*q)
}

// MeetingOutcome states a closed vote's result: carried (and to what) or not.
func MeetingOutcome(r *delphi.MeetingResult) string {
	switch {
	case !r.Carried:
		return "not carried"
	case r.Module != "":
		return "carried: " + r.Tier + " (" + r.Module + ")"
	}
	return "carried: " + r.Tier
}

// OtherGroupsWords names the folded row of the groups not shown: those under min, and any
// withheld with them so that none can be worked out from the rest.
func OtherGroupsWords(hidden, min int) string {
	return fmt.Sprintf("%d other groups together (under %d each, or withheld with them)", hidden, min)
}

var meetingHeader = []string{"meeting_id", "meeting", "date", "place", "record", "item", "item_label", "question",
	"option", "group", "n", "voters", "abstained", "result", "rule", "rule_sha256"}

// meetingTable is the record of meetings, one row per fact: the meeting (n: attendees),
// attendees per group (small groups folded), and per item its state or, once voted, the count
// of each option, each option's count per group large enough to show, and how many groups
// were not broken out. No row names an attendee.
func meetingTable(rs []*delphi.MeetingReport) *table {
	t := &table{name: "Meetings", header: meetingHeader}
	for _, r := range rs {
		row := func(record, item, label, question, option, group string, n, voters, abstained, result, rule, hash any) {
			t.rows = append(t.rows, []any{int(r.Meeting), r.Title, r.Date, r.Place, record, item, label, question, option, group,
				n, voters, abstained, result, rule, hash})
		}
		row("meeting", "", "", "", "", "", r.Attendees, nil, nil, r.State, MeetingRuleWords(r.Rule), r.RuleHash)
		for _, g := range slices.Sorted(maps.Keys(r.AttendeeGroups)) {
			row("attendees", "", "", "", "", g, r.AttendeeGroups[g], nil, nil, nil, nil, nil)
		}
		if r.HiddenGroups > 0 {
			row("attendees", "", "", "", "", OtherGroupsWords(r.HiddenGroups, r.MinGroupSize), r.OtherAttendees, nil, nil, nil, nil, nil)
		}
		for _, it := range r.Items {
			label, q := it.Label.In("en"), MeetingQuestion(it.Question)
			res := it.Result
			if res == nil {
				row("item", it.Item, label, q, "", "", nil, nil, nil, it.State, nil, nil)
				continue
			}
			for _, o := range it.Options {
				row("vote", it.Item, label, q, o, "", res.Counts[o], res.Voters, res.Abstained, MeetingOutcome(res), MeetingRuleWords(res.Rule), res.RuleHash)
				for _, g := range slices.Sorted(maps.Keys(res.Groups)) {
					row("group_vote", it.Item, label, q, o, g, res.Groups[g][o], nil, nil, nil, nil, nil)
				}
			}
			if res.HiddenGroups > 0 {
				row("group_vote", it.Item, label, q, "", fmt.Sprintf("%d groups not broken out (fewer than %d votes, or deducible)", res.HiddenGroups, r.MinGroupSize),
					nil, nil, nil, nil, nil, nil)
			}
		}
	}
	return t
}

// MeetingCSV writes a meeting's record as CSV (the Meetings sheet of the workbook, for one meeting).
func MeetingCSV(w io.Writer, r *delphi.MeetingReport) error {
	return meetingTable([]*delphi.MeetingReport{r}).writeCSV(w)
}

// meetingMethods states the consensus meetings that held a vote for the methods section: how many, who attended
// by group (small groups together), how many items were voted on and carried, and the rule.
func meetingMethods(all []*delphi.MeetingReport) string {
	var rs []*delphi.MeetingReport // the meetings that held a vote: one planned is no method yet
	for _, r := range all {
		if slices.ContainsFunc(r.Items, func(it delphi.MeetingItemView) bool { return it.Result != nil }) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return ""
	}
	var held []string
	attendees, voted, carried := 0, 0, 0
	groups, other := map[string]int{}, 0
	min := 0
	var rule *delphi.MeetingReport
	for _, r := range rs {
		w := fmt.Sprintf("“%s” (%s", r.Title, r.Date)
		if r.Place != "" {
			w += ", " + r.Place
		}
		held = append(held, w+fmt.Sprintf(", %d attendees)", r.Attendees))
		attendees += r.Attendees
		for g, n := range r.AttendeeGroups {
			groups[g] += n
		}
		other += r.OtherAttendees
		min = max(min, r.MinGroupSize)
		for _, it := range r.Items {
			if it.Result != nil {
				voted++
				if it.Result.Carried {
					carried++
				}
			}
		}
		rule = r
	}
	meetings := "consensus meeting was"
	if len(rs) > 1 {
		meetings = "consensus meetings were"
	}
	p := fmt.Sprintf("After the rounds, %d %s held with the panel and invited stakeholders: %s. ", len(rs), meetings, listWords(held))
	var gs []string
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		gs = append(gs, fmt.Sprintf("%s %d", g, groups[g]))
	}
	if other > 0 {
		gs = append(gs, fmt.Sprintf("other groups together %d", other))
	}
	if len(gs) > 0 {
		p += fmt.Sprintf("Attendees (%d in all) joined from their phones with a code shown on the screen and gave their stakeholder group (%s; groups with fewer than %d attendees are reported together). ",
			attendees, strings.Join(gs, ", "), min)
	}
	p += fmt.Sprintf("The items the rounds left undecided were discussed one at a time, with their results over the rounds, and put to an anonymous vote: "+
		"%d item%s voted on, %d carried. A vote %s (meeting rule SHA-256 %s); votes by stakeholder group were reported only for groups "+
		"of at least %d voters that could not be deduced from the rest. Each vote was recorded as a decision of the outcome.",
		voted, plural(voted), carried, MeetingRuleWords(rule.Rule), short(rule.RuleHash), min)
	return p
}
