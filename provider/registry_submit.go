package provider

import (
	"context"

	"github.com/beian/beian/sqlstore"
)

// SendToRegistry hands an order that has passed the provider's reviews to
// the registry through the connector (Rule VER-3 starts there).
// Placeholder during development: the review work replaces it.
func (s *Service) SendToRegistry(ctx context.Context, tx *sqlstore.Tx, orderID int64) error {
	return nil
}
