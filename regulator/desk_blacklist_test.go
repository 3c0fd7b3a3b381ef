package regulator

import (
	"testing"
	"time"
)

// Rule CAN-1: the bureau's blacklist desk adds a certificate number and a
// website name; lists mask the certificate to its last four characters;
// precheck and submit refuse both from then on.
func TestBureauBlacklist(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		if _, err := e.BureauBlacklist(e.ctx, zj, BlacklistInput{Kind: "phone", Value: "x", Reason: "r"}); !e.hasProblem(err, "registry.blacklist_kind") {
			t.Fatalf("kind: %v", err)
		}
		got, err := e.BureauBlacklist(e.ctx, zj, BlacklistInput{Kind: BlacklistCert, Value: orgCert, Reason: "传播违法信息"})
		if err != nil || got.Value != "****001A" || got.Reason != "传播违法信息" {
			t.Fatalf("entry %+v, %v", got, err)
		}
		e.clock.Advance(time.Second)
		if _, err := e.BureauBlacklist(e.ctx, zj, BlacklistInput{Kind: BlacklistWebsiteName, Value: siteName, Reason: "传播违法信息"}); err != nil {
			t.Fatal(err)
		}
		l, err := e.BlacklistEntries(e.ctx, 0)
		if err != nil || len(l) != 2 || l[0].Value != siteName || l[1].Value != "****001A" || l[1].Kind != BlacklistCert {
			t.Fatalf("list %+v, %v", l, err)
		}
		var actor string
		if err := e.DB.SQL.QueryRow(`SELECT actor FROM registry_audit WHERE action = 'blacklist.add' ORDER BY seq LIMIT 1`).Scan(&actor); err != nil || actor != zj.Actor {
			t.Fatalf("audited as %q, %v", actor, err)
		}
		e.assertBlacklisted(t)
	})
}
