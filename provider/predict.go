package provider

import (
	"context"
	"slices"
	"time"

	"github.com/beian/beian"
)

// The bases of a bureau-duration prediction.
const (
	BasisRule     = "rule"     // the province's REV-2 figure (20 business days; Zhejiang 30)
	BasisObserved = "observed" // the median of this provider's finished bureau reviews
)

// observationWindow is how many of the latest finished bureau reviews of a
// province the median reads, so that the prediction follows a bureau whose
// pace changes.
const observationWindow = 200

// BureauPrediction is the expected length of a province's bureau review in
// business days (Rules REV-2, CAL-1).
type BureauPrediction struct {
	Province     string `json:"province"`
	BusinessDays int    `json:"business_days"`
	Basis        string `json:"basis"`        // BasisRule or BasisObserved
	RuleDays     int    `json:"rule_days"`    // the province's REV-2 figure
	Observations int    `json:"observations"` // finished bureau reviews of the province seen
}

// PredictBureau predicts the bureau review of the province: the REV-2
// business days of the province's requirements in force on the date on,
// until Options.MinObservations (20) bureau reviews of that province have
// finished here (moves from bureau_review to approved or bureau_rejected in
// the orders' stage history); from then on the median of their observed
// durations in business days (the latest observationWindow of them).
func (s *Service) PredictBureau(ctx context.Context, province string, on time.Time) (BureauPrediction, error) {
	p := BureauPrediction{Province: province, RuleDays: 20, Basis: BasisRule}
	if req, err := s.Ref.Requirements(province, on); err == nil && req.BureauReviewBusinessDays > 0 {
		p.RuleDays = req.BureauReviewBusinessDays
	}
	p.BusinessDays = p.RuleDays
	obs, err := s.Store.FinishedBureauReviews(ctx, province, observationWindow)
	if err != nil {
		return p, err
	}
	p.Observations = len(obs)
	min := s.Options.MinObservations
	if min <= 0 {
		min = 20
	}
	if len(obs) < min {
		return p, nil
	}
	days := make([]int, 0, len(obs))
	for _, o := range obs {
		n, _ := s.Calendar.BusinessDaysBetween(o.EnteredAt, o.At)
		days = append(days, max(n, 0))
	}
	p.BusinessDays, p.Basis = median(days), BasisObserved
	return p, nil
}

// median returns the middle value; of an even count, the mean of the two
// middle values rounded up (a prediction had better not promise too early).
func median(xs []int) int {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2] + 1) / 2
}

// stageDays is how many business days a stage is expected to take (Rules
// REV-1, REV-2, VER-1, VER-3); the customer's own stages take none.
func (s *Service) stageDays(st beian.Stage, bureau BureauPrediction) int {
	review := max(s.Options.ReviewSLADays, 1)
	switch st {
	case beian.StageInitialReview, beian.StagePhotoReview:
		return review
	case beian.StageVerification:
		if s.Options.VerificationDays > 0 {
			return s.Options.VerificationDays
		}
		return 3
	case beian.StageSMSConfirmation:
		return 1
	case beian.StageBureauReview:
		return bureau.BusinessDays
	}
	return 0
}
