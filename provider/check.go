package provider

import (
	"context"

	"github.com/beian/beian"
)

// CheckData checks an order's form against every rule checkable before
// submission and returns every problem at once (field paths as in the
// error shape of API.md). Placeholder during development: the precheck
// work replaces it with the real checks.
func (s *Service) CheckData(ctx context.Context, accountID int64, typ beian.OrderType, commercial bool, data beian.OrderData) (beian.Problems, error) {
	return nil, nil
}
