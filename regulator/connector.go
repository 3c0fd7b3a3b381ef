package regulator

import (
	"context"

	"github.com/beian/beian"
)

// Connector is the in-process connector (beian.Connector): the provider
// named Provider talking to the registry in the same process, each call
// delegating to the Registry under the provider's name. Its errors are the
// Registry's *beian.Error values, so the connector's error contract holds
// as documented there.
type Connector struct {
	Registry *Registry
	Provider string // the provider's name at the registry
}

var _ beian.Connector = (*Connector)(nil)

// Precheck delegates to Registry.Precheck (it needs no provider).
func (c *Connector) Precheck(ctx context.Context, req beian.PrecheckRequest) (beian.PrecheckResult, error) {
	return c.Registry.Precheck(ctx, req)
}

// Submit delegates to Registry.Submit.
func (c *Connector) Submit(ctx context.Context, s beian.Submission, idempotencyKey string) (beian.Receipt, error) {
	return c.Registry.Submit(ctx, c.Provider, s, idempotencyKey)
}

// CancelAccess delegates to Registry.CancelAccess.
func (c *Connector) CancelAccess(ctx context.Context, req beian.CancelAccessRequest, idempotencyKey string) (beian.Receipt, error) {
	return c.Registry.CancelAccess(ctx, c.Provider, req, idempotencyKey)
}

// CheckTransferIn delegates to Registry.CheckTransferIn.
func (c *Connector) CheckTransferIn(ctx context.Context, number, password string) (beian.TransferInCheck, error) {
	return c.Registry.CheckTransferIn(ctx, number, password)
}

// Filing delegates to Registry.Filing.
func (c *Connector) Filing(ctx context.Context, number string) (beian.Filing, error) {
	return c.Registry.Filing(ctx, number)
}

// Confirmations delegates to Registry.Confirmations: only the provider's
// own submissions are visible.
func (c *Connector) Confirmations(ctx context.Context, submissionID string) (beian.ConfirmationState, error) {
	return c.Registry.Confirmations(ctx, c.Provider, submissionID)
}

// Events delegates to Registry.Events: only the provider's own events.
func (c *Connector) Events(ctx context.Context, cursor string, limit int) (beian.EventPage, error) {
	return c.Registry.Events(ctx, c.Provider, cursor, limit)
}
