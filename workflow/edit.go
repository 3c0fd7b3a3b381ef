package workflow

import (
	"strings"
	"time"

	"github.com/beian/beian"
)

// editScope is how much of an order the customer may edit in a stage.
type editScope int

const (
	editNothing editScope = iota // every field locked
	editAll                      // every field
	editFlagged                  // the fields flagged by review items, and their children
	editUnder                    // one subtree, named by editRule.root
)

// editRule is the edit policy of one stage, with the rule it implements.
type editRule struct {
	scope editScope
	root  string // for editUnder
	rule  string
}

// editRules holds the stages where something is editable; every other stage
// locks the whole order.
var editRules = map[beian.Stage]editRule{
	beian.StageDraft:               {scope: editAll},
	beian.StageReturned:            {scope: editAll, rule: "VER-3"},
	beian.StageNeedsFix:            {scope: editFlagged, rule: "REV-3"},
	beian.StageBureauRejected:      {scope: editFlagged, rule: "REV-5"},
	beian.StageSupplementRequested: {scope: editUnder, root: "documents", rule: "SUBJ-2"},
	beian.StageVerification:        {scope: editUnder, root: "verification", rule: "VER-1, VER-2"},
}

// Editable reports whether the customer may edit the field (a path such as
// "websites[0].homepage") of an order in the stage (REV-3):
//   - draft and returned: every field (a returned order that is edited goes
//     back to initial review, VER-3);
//   - needs_fix and bureau_rejected: exactly the fields flagged by the review
//     items, each with its children (REV-3, REV-5);
//   - supplement_requested: only "documents" and its children (SUBJ-2);
//   - verification: only "verification" and its children (VER-1, VER-2);
//   - every other stage: nothing.
//
// A path covers itself and the paths that continue it with "." or "[":
// "websites[0]" covers "websites[0].homepage" and "websites" covers
// "websites[1]", but "websites[0].name" covers neither "websites[0].name_en"
// nor "websites[0]", and "websites[1]" does not cover "websites[10]". An
// empty field or flagged path names nothing.
func Editable(s beian.Stage, flagged []string, field string) bool {
	if field == "" {
		return false
	}
	r := editRules[s]
	switch r.scope {
	case editAll:
		return true
	case editUnder:
		return covers(r.root, field)
	case editFlagged:
		for _, f := range flagged {
			if covers(f, field) {
				return true
			}
		}
	}
	return false
}

// covers reports whether the path p is field or one of its ancestors.
func covers(p, field string) bool {
	if p == "" || !strings.HasPrefix(field, p) {
		return false
	}
	rest := field[len(p):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// PhotoReusable reports whether the verification photo approved at
// photoApproved may be reused after the bureau rejection at rejected (REV-6):
// the rejection comes no later than one calendar month after the approval
// and no item concerns the photo (item.Photo). Dates are reckoned in China
// Standard Time (CAL-0): the photo approved on the 10th may be reused for a
// rejection up to the end of the 10th of the next month, and a day that the
// next month lacks is clamped to its last day (approved 31 January →
// deadline 28 or 29 February). A zero time, or a rejection before the
// approval, asks for a new photo.
func PhotoReusable(photoApproved, rejected time.Time, items []beian.ReviewItem) bool {
	if photoApproved.IsZero() || rejected.IsZero() || rejected.Before(photoApproved) {
		return false
	}
	for _, it := range items {
		if it.Photo {
			return false
		}
	}
	return !beian.DateOf(rejected).After(oneMonthAfter(beian.DateOf(photoApproved)))
}

// oneMonthAfter returns the same day of the next month, clamped to that
// month's last day, as midnight CST.
func oneMonthAfter(d time.Time) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+1, 1, 0, 0, 0, 0, beian.CST)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, beian.CST)
}
