package workflow

import (
	"testing"
	"time"

	"github.com/beian/beian"
)

// REV-3, REV-5, SUBJ-2, VER-1: what the customer may edit in which stage.
func TestEditable(t *testing.T) {
	flags := []string{"websites[0]", "subject.name", "websites[1].name", ""}
	for _, tc := range []struct {
		name  string
		stage beian.Stage
		field string
		want  bool
	}{
		{"Editable/DraftAnyField", "draft", "subject.cert_number", true},
		{"Editable/DraftUnflagged", "draft", "websites[3].domains[0]", true},
		{"Editable/ReturnedAnyField", "returned", "subject.name", true}, // VER-3: edits send it to initial review
		{"Locked/DraftEmptyField", "draft", "", false},

		// REV-3: exactly the flagged fields and their children.
		{"Editable/NeedsFixFlagged", "needs_fix", "subject.name", true},
		{"Editable/NeedsFixChildOfFlagged", "needs_fix", "websites[0].homepage", true},
		{"Editable/NeedsFixGrandchild", "needs_fix", "websites[0].domains[2]", true},
		{"Editable/NeedsFixIndexChild", "needs_fix", "websites[0][1]", true},
		{"Locked/NeedsFixUnflagged", "needs_fix", "subject.cert_number", false},
		{"Locked/NeedsFixOtherWebsite", "needs_fix", "websites[2].homepage", false},
		{"Locked/NeedsFixIndexPrefix", "needs_fix", "websites[01]", false},
		{"Locked/NeedsFixParentOfFlagged", "needs_fix", "websites[1]", false},
		{"Editable/NeedsFixFlaggedLeaf", "needs_fix", "websites[1].name", true},
		{"Locked/NeedsFixLongerName", "needs_fix", "websites[1].name_en", false},
		{"Locked/NeedsFixSubjectParent", "needs_fix", "subject", false},
		{"Locked/NeedsFixEmptyField", "needs_fix", "", false},
		{"Editable/BureauRejectedFlagged", "bureau_rejected", "websites[0].name", true}, // REV-5
		{"Locked/BureauRejectedUnflagged", "bureau_rejected", "documents[0]", false},

		// SUBJ-2: only the documents.
		{"Editable/SupplementDocuments", "supplement_requested", "documents", true},
		{"Editable/SupplementDocument", "supplement_requested", "documents[2].file", true},
		{"Locked/SupplementDocumentsPrefix", "supplement_requested", "documents_extra", false},
		{"Locked/SupplementFlaggedIgnored", "supplement_requested", "subject.name", false},

		// VER-1, VER-2: only the verification.
		{"Editable/Verification", "verification", "verification", true},
		{"Editable/VerificationPhoto", "verification", "verification.photo", true},
		{"Locked/VerificationPrefix", "verification", "verifications", false},
		{"Locked/VerificationFlaggedIgnored", "verification", "websites[0].homepage", false},

		// Everything else is locked.
		{"Locked/InitialReview", "initial_review", "subject.name", false},
		{"Locked/PhotoReview", "photo_review", "verification.photo", false},
		{"Locked/SMSConfirmation", "sms_confirmation", "subject.name", false},
		{"Locked/BureauReview", "bureau_review", "websites[0]", false},
		{"Locked/Approved", "approved", "subject.name", false},
		{"Locked/Abandoned", "abandoned", "subject.name", false},
		{"Locked/UnknownStage", "bogus", "subject.name", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Editable(tc.stage, flags, tc.field); got != tc.want {
				t.Errorf("Editable(%s, %q) = %v, want %v", tc.stage, tc.field, got, tc.want)
			}
		})
	}
	t.Run("Locked/NeedsFixNothingFlagged", func(t *testing.T) {
		if Editable("needs_fix", nil, "subject.name") || Editable("needs_fix", []string{""}, "x") {
			t.Error("editable with no flagged field")
		}
	})
}

// REV-6 with CAL-0: one calendar month in China Standard Time, month ends
// clamped; inputs in UTC so that the CST date differs from the UTC date.
func TestPhotoReusable(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	plain := []beian.ReviewItem{{Field: "websites[0].name", Reason: "名称不符", Action: beian.ActionFixWebsite}}
	photo := []beian.ReviewItem{plain[0], {Field: "verification.photo", Reason: "照片模糊", Action: beian.ActionFixMaterials, Photo: true}}
	for _, tc := range []struct {
		name               string
		approved, rejected string
		items              []beian.ReviewItem
		want               bool
	}{
		{"Reusable/SameDay", "2026-03-10T02:00:00Z", "2026-03-10T09:00:00Z", plain, true},
		{"Reusable/ExactlyOneMonth", "2026-03-10T02:00:00Z", "2026-04-10T15:59:59Z", plain, true},    // 04-10 23:59:59 CST
		{"NewPhoto/OneMonthAndOneDay", "2026-03-10T02:00:00Z", "2026-04-10T16:00:00Z", plain, false}, // 04-11 00:00 CST, still 04-10 in UTC
		{"NewPhoto/OneMonthAndOneDayLater", "2026-03-10T02:00:00Z", "2026-04-11T09:00:00Z", plain, false},
		// Approved 2026-03-10 01:00 CST, still 03-09 in UTC: the month runs to 04-10 CST.
		{"Reusable/ApprovalAfterCSTMidnight", "2026-03-09T17:00:00Z", "2026-04-10T15:00:00Z", plain, true},
		// Approved 2026-03-09 23:30 CST: the month ends 04-09 CST.
		{"NewPhoto/ApprovalBeforeCSTMidnight", "2026-03-09T15:30:00Z", "2026-04-10T01:00:00Z", plain, false},
		{"Reusable/Jan31ToFeb28", "2026-01-31T04:00:00Z", "2026-02-28T15:00:00Z", plain, true},
		{"NewPhoto/Jan31ToMar1", "2026-01-31T04:00:00Z", "2026-02-28T16:00:00Z", plain, false}, // 03-01 00:00 CST
		{"Reusable/Jan31ToFeb29LeapYear", "2028-01-31T04:00:00Z", "2028-02-29T12:00:00Z", plain, true},
		{"NewPhoto/Jan31ToMar1LeapYear", "2028-01-31T04:00:00Z", "2028-03-01T01:00:00Z", plain, false},
		{"Reusable/Mar31ToApr30", "2026-03-31T04:00:00Z", "2026-04-30T12:00:00Z", plain, true},
		{"NewPhoto/Mar31ToMay1", "2026-03-31T04:00:00Z", "2026-04-30T16:00:00Z", plain, false},
		{"Reusable/Dec31ToJan31", "2026-12-31T04:00:00Z", "2027-01-31T12:00:00Z", plain, true},
		{"NewPhoto/Dec31ToFeb1", "2026-12-31T04:00:00Z", "2027-01-31T16:00:00Z", plain, false},
		// Approved 2026-02-01 00:30 CST (still Jan 31 in UTC): the month ends 03-01.
		{"Reusable/Feb1CSTToMar1", "2026-01-31T16:30:00Z", "2026-03-01T12:00:00Z", plain, true},
		{"Reusable/NoItems", "2026-03-10T02:00:00Z", "2026-03-20T02:00:00Z", nil, true},
		{"NewPhoto/PhotoItem", "2026-03-10T02:00:00Z", "2026-03-11T02:00:00Z", photo, false},
		{"NewPhoto/RejectedBeforeApproval", "2026-03-10T02:00:00Z", "2026-03-10T01:00:00Z", plain, false},
		{"NewPhoto/NoApprovedPhoto", "", "2026-03-10T01:00:00Z", plain, false},
		{"NewPhoto/NoRejectionTime", "2026-03-10T02:00:00Z", "", plain, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var approved, rejected time.Time
			if tc.approved != "" {
				approved = utc(tc.approved)
			}
			if tc.rejected != "" {
				rejected = utc(tc.rejected)
			}
			if got := PhotoReusable(approved, rejected, tc.items); got != tc.want {
				t.Errorf("PhotoReusable(%s, %s) = %v, want %v", tc.approved, tc.rejected, got, tc.want)
			}
		})
	}
}
