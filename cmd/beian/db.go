package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// openDB parses the --db URL and opens the database, with errors that say
// what to do.
func openDB(ctx context.Context, cmd, url string) (*sqlstore.DB, error) {
	dsn, err := sqlstore.ParseDSN(url)
	if err != nil {
		return nil, usagef("beian %s: --db: %v", cmd, err)
	}
	return sqlstore.Open(ctx, dsn, nil)
}

func migrateCommand() *command {
	var db string
	return &command{
		name:    "migrate",
		summary: "apply the database migrations (safe to run from several processes at once)",
		usage:   "--db URL",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL`: sqlite://PATH or postgres://…")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			d, err := openDB(e.ctx, "migrate", db)
			if err != nil {
				return err
			}
			defer d.Close()
			applied, err := d.Migrate(e.ctx)
			for _, m := range applied {
				fmt.Fprintf(e.stdout, "applied %04d_%s\n", m.Version, m.Name)
			}
			if err != nil {
				return err
			}
			v, _, err := d.SchemaVersion(e.ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "schema version %d (%s)\n", v, d.DSN())
			return nil
		},
	}
}

// auditContexts resolves the --context flag: both chains by default.
func auditContexts(c string) ([]*audit.Chain, error) {
	names := []string{"provider", "registry"}
	if c != "" {
		names = []string{c}
	}
	var out []*audit.Chain
	for _, n := range names {
		ch, err := audit.New(n)
		if err != nil {
			return nil, usagef("beian audit: --context %q: use provider or registry", c)
		}
		out = append(out, ch)
	}
	return out, nil
}

func auditVerifyCommand() *command {
	var db, head, ctxName string
	return &command{
		name:    "audit verify",
		summary: "check the audit chains; names the first broken record",
		usage:   "--db URL [--head HASH] [--context provider|registry]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL`")
			fs.StringVar(&head, "head", "", "a head `hash` kept elsewhere earlier ('beian audit head'): it must still be in the chain")
			fs.StringVar(&ctxName, "context", "", "check only this chain: provider or registry (default both)")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			chains, err := auditContexts(ctxName)
			if err != nil {
				return err
			}
			d, err := openDB(e.ctx, "audit verify", db)
			if err != nil {
				return err
			}
			defer d.Close()
			head = strings.TrimSpace(head)
			found := head == ""
			for _, ch := range chains {
				rep, err := ch.Verify(e.ctx, d, "")
				if err != nil {
					var be *audit.BrokenError
					if errors.As(err, &be) {
						return fmt.Errorf("%v; restore the database from a backup taken before that record and find out who changed it", err)
					}
					return err
				}
				fmt.Fprintf(e.stdout, "%s: %d records intact, head %s\n", ch.Context(), rep.Records, rep.Head)
				// A kept head belongs to one of the chains.
				if !found {
					if _, err := ch.Verify(e.ctx, d, head); err == nil {
						found = true
					}
				}
			}
			if !found {
				return fmt.Errorf("the kept head %s is not in the chain: records were rewritten or removed; restore from a backup and investigate", head)
			}
			return nil
		},
	}
}

func auditHeadCommand() *command {
	var db, ctxName string
	return &command{
		name:    "audit head",
		summary: "print each audit chain's head hash, to keep elsewhere",
		usage:   "--db URL [--context provider|registry]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&db, "db", "sqlite://./beian.db", "database `URL`")
			fs.StringVar(&ctxName, "context", "", "only this chain: provider or registry (default both)")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			chains, err := auditContexts(ctxName)
			if err != nil {
				return err
			}
			d, err := openDB(e.ctx, "audit head", db)
			if err != nil {
				return err
			}
			defer d.Close()
			for _, ch := range chains {
				seq, hash, err := ch.Head(e.ctx, d)
				if err != nil {
					return fmt.Errorf("read the %s chain's head (has 'beian migrate' run?): %w", ch.Context(), err)
				}
				if len(chains) == 1 {
					fmt.Fprintln(e.stdout, hash)
				} else {
					fmt.Fprintf(e.stdout, "%s %d %s\n", ch.Context(), seq, hash)
				}
			}
			return nil
		},
	}
}
